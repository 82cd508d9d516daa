package donation

import "testing"

func TestGrossUp(t *testing.T) {
	tests := []struct{ net, want int64 }{
		{2500, 2606},
		{100, 134},
		{1_000_000, 1_029_898},
	}
	for _, tt := range tests {
		if got := StripeCanada.GrossUp(tt.net); got != tt.want {
			t.Errorf("GrossUp(%d) = %d, want %d", tt.net, got, tt.want)
		}
	}
}

func FuzzGrossUpNetsTheAmount(f *testing.F) {
	f.Add(int64(2500), int64(290), int64(30))
	f.Add(int64(100), int64(0), int64(0))
	f.Fuzz(func(t *testing.T, net, bps, fixed int64) {
		if net < 1 || net > 100_000_000 || bps < 0 || bps > 2000 || fixed < 0 || fixed > 1000 {
			return
		}
		fees := Fees{PercentBps: bps, FixedCents: fixed}
		charge := fees.GrossUp(net)
		if got := charge - fees.Fee(charge); got < net {
			t.Fatalf("charge %d nets %d < %d", charge, got, net)
		}
		// One cent less would not net the amount (or fees round it to the same net).
		if lower := charge - 1; lower-fees.Fee(lower) >= net+1 {
			t.Fatalf("charge %d overshoots: %d would net %d", charge, lower, lower-fees.Fee(lower))
		}
	})
}
