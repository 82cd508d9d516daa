package address

import (
	"testing"

	"github.com/solidarity/solidarity/shared/httpapi"
)

func TestNormalizePostalCode(t *testing.T) {
	tests := []struct {
		in, want string
		ok       bool
	}{
		{"h2x1y4", "H2X 1Y4", true},
		{"H2X 1Y4", "H2X 1Y4", true},
		{" k1a-0b1 ", "K1A 0B1", true},
		{"H2X  1Y4", "H2X 1Y4", true},
		{"W2X 1Y4", "", false},  // W never starts a code
		{"H2D 1Y4", "", false},  // D never used
		{"12345", "", false},    // a US ZIP
		{"H2X 1Y", "", false},   // short
		{"H2X 1Y44", "", false}, // long
		{"", "", false},
		{"Ｈ2X 1Y4", "", false}, // full-width letter
	}
	for _, tt := range tests {
		got, ok := NormalizePostalCode(tt.in)
		if got != tt.want || ok != tt.ok {
			t.Errorf("NormalizePostalCode(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

func TestNormalize(t *testing.T) {
	tests := []struct {
		name   string
		in     Address
		want   Address
		errKey string
	}{
		{"canadian", Address{City: "Montréal", Province: "qc", PostalCode: "h2x1y4"},
			Address{City: "Montréal", Province: "QC", PostalCode: "H2X 1Y4", Country: "CA"}, ""},
		{"bad province", Address{Province: "XX"}, Address{}, "address.province"},
		{"bad postal code", Address{PostalCode: "90210"}, Address{}, "address.postal_code"},
		{"bad country", Address{Country: "Canada"}, Address{}, "address.country"},
		{"foreign kept as is", Address{Province: "NY", PostalCode: "10001", Country: "us"},
			Address{Province: "NY", PostalCode: "10001", Country: "US"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fields := httpapi.FieldErrors{}
			a := tt.in
			a.Normalize("address.", fields)
			if tt.errKey != "" {
				if _, ok := fields[tt.errKey]; !ok || len(fields) != 1 {
					t.Fatalf("fields = %v, want only %s", fields, tt.errKey)
				}
				return
			}
			if len(fields) != 0 || a != tt.want {
				t.Fatalf("got %+v %v, want %+v", a, fields, tt.want)
			}
		})
	}
}

func FuzzNormalizePostalCode(f *testing.F) {
	for _, s := range []string{"H2X 1Y4", "k1a-0b1", "", "ZZZ ZZZ", "\x00\xff"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := NormalizePostalCode(s)
		if !ok {
			return
		}
		again, ok2 := NormalizePostalCode(got)
		if !ok2 || again != got || len(got) != 7 {
			t.Fatalf("not idempotent: %q -> %q -> %q", s, got, again)
		}
	})
}
