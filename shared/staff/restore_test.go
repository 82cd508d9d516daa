package staff

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/solidarity/solidarity/shared/campaign"
	"github.com/solidarity/solidarity/shared/dev/emulator"
	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/dynamo"
)

func init() { emulator.Logs.Personal("Bob Tremblay", "Ana Roy") }

// restoreWorld is a live table that lost items since the moment its "restored" copy
// holds, and gained others; run runs restore copy from the copy at now.
type restoreWorld struct {
	t          *testing.T
	db         *dynamodb.Client
	live, from string
	store      *dynamo.Store
	now        time.Time
}

func (w restoreWorld) run(src Sources, args ...string) (string, error) {
	src.DB, src.Table, src.Now = w.db, w.live, func() time.Time { return w.now }
	var out bytes.Buffer
	err := Run(context.Background(), w.store, src, args, &out)
	return out.String(), err
}

// items is the whole table, by "pk sk".
func (w restoreWorld) items(table string) map[string]map[string]types.AttributeValue {
	w.t.Helper()
	all := map[string]map[string]types.AttributeValue{}
	p := dynamodb.NewScanPaginator(w.db, &dynamodb.ScanInput{TableName: aws.String(table), ConsistentRead: aws.Bool(true)})
	for p.HasMorePages() {
		page, err := p.NextPage(context.Background())
		if err != nil {
			w.t.Fatal(err)
		}
		for _, it := range page.Items {
			all[text(it, "pk")+" "+text(it, "sk")] = it
		}
	}
	return all
}

func (w restoreWorld) put(table string, it map[string]types.AttributeValue) {
	w.t.Helper()
	if _, err := w.db.PutItem(context.Background(), &dynamodb.PutItemInput{TableName: aws.String(table), Item: it}); err != nil {
		w.t.Fatal(err)
	}
}

func (w restoreWorld) del(keys ...string) {
	w.t.Helper()
	for _, k := range keys {
		pk, sk, _ := strings.Cut(k, " ")
		if _, err := w.db.DeleteItem(context.Background(), &dynamodb.DeleteItemInput{TableName: aws.String(w.live),
			Key: map[string]types.AttributeValue{"pk": s(pk), "sk": s(sk)}}); err != nil {
			w.t.Fatal(err)
		}
	}
}

func s(v string) types.AttributeValue { return &types.AttributeValueMemberS{Value: v} }
func n(v string) types.AttributeValue { return &types.AttributeValueMemberN{Value: v} }

// keyOfType is the one key of the table's items of type typ whose attribute attr is val.
func keyOfType(t *testing.T, all map[string]map[string]types.AttributeValue, typ, attr, val string) string {
	t.Helper()
	var found []string
	for k, it := range all {
		if dynamo.ItemType(it) == typ && text(it, attr) == val {
			found = append(found, k)
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d items of type %s with %s=%s: %v", len(found), typ, attr, val, found)
	}
	return found[0]
}

var restoreT0 = time.Date(2026, 11, 27, 20, 0, 0, 0, time.UTC)

// newRestoreWorld seeds the live table as it was at restoreT0, copies it whole into a
// second table (what restore-table-to-point-in-time makes of that moment), then changes
// the live table as the following hours did: items lost, a new gift, an erasure, a
// confirmed member.
func newRestoreWorld(t *testing.T) restoreWorld {
	t.Helper()
	ctx := context.Background()
	env := emulator.Get(t)
	w := restoreWorld{t: t, db: env.DB(), live: emulator.TableName(t), now: restoreT0.Add(2 * time.Hour)}
	w.from = w.live + "-restored"
	for _, table := range []string{w.live, w.from} {
		if err := dynamo.CreateTable(ctx, w.db, table); err != nil {
			t.Fatal(err)
		}
	}
	w.store = dynamo.New(w.db, w.live)
	w.store.Now = func() time.Time { return restoreT0 }
	st := w.store
	if err := st.CreateCampaign(ctx, campaign.Campaign{Slug: "winter-2026", TitleEN: "Winter", TitleFR: "Hiver", GoalCents: 1_000_000,
		Currency: "cad", MinCents: 100, MaxCents: 1_000_000, Open: true}); err != nil {
		t.Fatal(err)
	}
	gift := func(id, email, first, last string, created time.Time, paid bool) {
		d := donation.Donation{ID: id, Campaign: "winter-2026", CounterShards: 1, CampaignTitle: "Winter", Currency: "cad", AmountCents: 5000, ChargeCents: 5000,
			Frequency: donation.Once, FirstName: first, LastName: last, Email: email, Language: "en", Status: donation.StatusPending,
			CreatedAt: created, CheckoutID: "cs_" + id}
		if err := st.CreateDonation(ctx, d, nil); err != nil {
			t.Fatal(err)
		}
		if paid {
			if err := st.RecordPayment(ctx, donation.Payment{Event: donation.Event{ID: "evt_" + id, Type: "checkout.session.completed"},
				Key: "pi_" + id, DonationID: id, AmountCents: 5000, Currency: "cad", PaidAt: created.Add(time.Minute)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	gift("don_ana", "ana@example.org", "Ana", "Roy", restoreT0.Add(-3*time.Hour), true)
	gift("don_bob", "bob@example.org", "Bob", "Tremblay", restoreT0.Add(-2*time.Hour), true)
	gift("don_old", "old@example.org", "Old", "Pending", restoreT0.Add(-40*24*time.Hour), false) // its TTL is past by now
	if err := st.AddOfflineGift(ctx, dynamo.OfflineGift{ID: "cheque-1", Campaign: "winter-2026", AmountCents: 25_000, Method: "cheque",
		ReceivedOn: "2026-11-26", RecordedAt: restoreT0}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.Hit(ctx, "signup-ip-deadbeef", restoreT0, 10, restoreT0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Cleo was erased before the moment restored: her record is in both tables.
	cleo := dynamo.New(w.db, w.live)
	cleo.Now = func() time.Time { return restoreT0.Add(-24 * time.Hour) }
	if _, _, err := cleo.Erase(ctx, dynamo.Query{Email: "cleo@example.org"}, testKey); err != nil {
		t.Fatal(err)
	}
	// Dora had applied and not confirmed yet.
	exp := n(strconv.FormatInt(restoreT0.Add(30*24*time.Hour).Unix(), 10))
	w.put(w.live, map[string]types.AttributeValue{"pk": s("PERSON#dora@example.org"), "sk": s("MEMBER"), "type": s(dynamo.TypeMember),
		"status": s("pending"), "email": s("dora@example.org"), "expires_at": exp})
	w.put(w.live, map[string]types.AttributeValue{"pk": s("PERSON#dora@example.org"), "sk": s("APPLICATION#app_dora"),
		"type": s(dynamo.TypeApplication), "email": s("dora@example.org"), "expires_at": exp})

	// Ana's receipt went out; Hal's notice had not yet.
	before := w.items(w.live)
	anaReceipt := keyOfType(t, before, dynamo.TypeEmail, "to", "ana@example.org")
	sent := before[anaReceipt]
	sent["status"] = s("sent")
	w.put(w.live, sent)
	w.put(w.live, map[string]types.AttributeValue{"pk": s("EMAIL#em_hal"), "sk": s("META"), "type": s(dynamo.TypeEmail),
		"status": s("pending"), "to": s("hal@example.org"), "template": s("member_confirm")})

	// The restore: the table as it was then.
	for _, it := range w.items(w.live) {
		w.put(w.from, it)
	}

	// Since then: items lost (a bad script, a wrong console click)…
	w.del("DONATION#don_ana META", "PAYMENT#pi_don_ana META", "CAMPAIGN#winter-2026 OFFLINE#cheque-1",
		keyOfType(t, before, dynamo.TypeErasure, "key_id", dynamo.ErasureKeyID(testKey)),
		anaReceipt, "EMAIL#em_hal META",
		keyOfType(t, before, dynamo.TypeRateLimit, "type", dynamo.TypeRateLimit),
		"DONATION#don_old META") // the TTL took it
	for k, it := range before {
		if dynamo.ItemType(it) == dynamo.TypeDonor && strings.HasPrefix(k, "CAMPAIGN#winter-2026 ") {
			w.del(k) // both donors' markers
		}
	}
	// … a new gift, which moved the campaign's counters …
	st.Now = func() time.Time { return restoreT0.Add(time.Hour) }
	gift("don_eve", "eve@example.org", "Eve", "Martin", restoreT0.Add(time.Hour), true)
	// … Bob's erasure …
	if _, _, err := st.Erase(ctx, dynamo.Query{Email: "bob@example.org"}, testKey); err != nil {
		t.Fatal(err)
	}
	// … and Dora confirmed: the member is active, the application deleted.
	w.put(w.live, map[string]types.AttributeValue{"pk": s("PERSON#dora@example.org"), "sk": s("MEMBER"), "type": s(dynamo.TypeMember),
		"status": s("active"), "email": s("dora@example.org")})
	w.del("PERSON#dora@example.org APPLICATION#app_dora")
	return w
}

// TestRestoreCopy: the dry run changes nothing and says what -confirm does; -confirm
// puts back exactly the items lost — never an email, a counter, an expired item, a
// confirmed member's application or anything of a person erased since — and leaves the
// items that differ as the live table has them; a second run copies nothing.
func TestRestoreCopy(t *testing.T) {
	w := newRestoreWorld(t)
	live0, restored := w.items(w.live), w.items(w.from)
	lost := func() []string { // what the restored table holds and the live one lacks
		now := w.items(w.live)
		var keys []string
		for k := range restored {
			if _, ok := now[k]; !ok {
				keys = append(keys, k)
			}
		}
		return keys
	}

	dry, err := w.run(withKey(Sources{}), "restore", "copy", "-from", w.from)
	if err != nil {
		t.Fatal(err)
	}
	if got := w.items(w.live); !reflect.DeepEqual(got, live0) {
		t.Fatalf("the dry run changed the live table:\n%s", dry)
	}
	out, err := w.run(withKey(Sources{}), "restore", "copy", "-from", w.from, "-confirm")
	if err != nil {
		t.Fatal(err)
	}
	// The counts: what the dry run said it would copy is what was copied.
	row := func(typ string, copied, there, differ int) string {
		return fmt.Sprintf("\n%-20s %10d %13d %7d\n", typ, copied, there, differ)
	}
	skip := func(typ string, count int, why string) string {
		return fmt.Sprintf("\n  %-18s %6d  %s\n", typ, count, why)
	}
	for _, want := range []string{
		row("campaign", 0, 1, 0),         // its own item: the online money is on its counter
		row("campaign_counter", 0, 0, 1), // moved since (Eve's gift): left alone
		row("campaign_donor", 1, 0, 0),   // Ana's marker; Bob's is an erased person's
		row("donation", 1, 0, 0),         // Ana's; Eve's is new; Bob's is skipped, Old's expired
		row("erasure", 1, 0, 0),          // Cleo's, lost; Bob's is in the live table only
		row("member", 0, 0, 1),           // Dora's, confirmed since
		row("offline_gift", 1, 0, 0),
		row("offline_gift_id", 0, 1, 0), // the lost cheque's id marker, kept
		row("payment", 1, 1, 0),         // Ana's; Bob's holds no address and is there
		row("stripe_event", 0, 2, 0),
		row("total", 5, 5, 2),
		skip("campaign_donor", 1, SkipErased),
		skip("donation", 1, SkipErased),
		skip("donation", 1, SkipExpired),
		skip("email", 1, SkipEmail),       // Ana's receipt, sent
		skip("email", 1, SkipEmailUnsent), // Hal's, never sent
		skip("email", 1, SkipErased),      // Bob's receipt, deleted by his erasure
		skip("member_application", 1, SkipConfirmed),
		skip("rate_limit", 1, SkipRateLimit),
		"\nerased people found in the restored table: 1 ",
		"\n  campaign_counter   CAMPAIGN#winter-2026 META#COUNT#0001\n",
		"\n  member             PERSON#… MEMBER\n",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("the output does not say %q:\n%s", want, out)
		}
		if !strings.Contains(dry, want) {
			t.Errorf("the dry run does not say %q:\n%s", want, dry)
		}
	}
	if !strings.Contains(dry, "dry run, nothing was written") || strings.Contains(out, "dry run") {
		t.Errorf("dry run or not, the output does not say:\n%s\n%s", dry, out)
	}
	for _, personal := range []string{"ana@", "bob@", "dora@", "Bob", "Tremblay"} {
		if strings.Contains(out, personal) || strings.Contains(dry, personal) {
			t.Errorf("the output names %q:\n%s", personal, out)
		}
	}

	// Exactly the lost items came back, as they were.
	now := w.items(w.live)
	for _, k := range []string{"DONATION#don_ana META", "PAYMENT#pi_don_ana META", "CAMPAIGN#winter-2026 OFFLINE#cheque-1"} {
		if !reflect.DeepEqual(now[k], restored[k]) {
			t.Errorf("%s was not put back as it was: %v", k, now[k])
		}
	}
	var left []string
	for _, k := range lost() {
		pk, sk, _ := strings.Cut(k, " ")
		left = append(left, dynamo.ItemType(restored[k])+" "+keyLabel(pk, sk))
	}
	wantLeft := []string{"campaign_donor CAMPAIGN#winter-2026 DONOR#…", "donation DONATION#don_old META", "email EMAIL#… META", "email EMAIL#… META", "email EMAIL#… META",
		"member_application PERSON#… APPLICATION#app_dora", "rate_limit RATE#… " + strconv.FormatInt(restoreT0.Unix(), 10)}
	if !sameStrings(left, wantLeft) {
		t.Errorf("not copied back: %v, want %v", left, wantLeft)
	}
	// What differs is as the live table has it: the counters, Bob's anonymized gift,
	// Dora's membership.
	for _, k := range []string{"CAMPAIGN#winter-2026 META#COUNT#0001", "DONATION#don_bob META", "PERSON#dora@example.org MEMBER", "DONATION#don_eve META"} {
		if !reflect.DeepEqual(now[k], live0[k]) {
			t.Errorf("%s changed", k)
		}
	}
	if text(now["DONATION#don_bob META"], "email") != dynamo.Erased {
		t.Errorf("Bob's gift holds his address again: %v", now["DONATION#don_bob META"])
	}
	if held, err := w.store.Find(context.Background(), dynamo.Query{Email: "bob@example.org"}); err != nil || len(held.Items) != 0 {
		t.Errorf("the live table holds Bob again: %+v %v", held.Items, err)
	}

	// Again: nothing left to copy.
	again, err := w.run(withKey(Sources{}), "restore", "copy", "-from", w.from, "-confirm")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(again, row("total", 0, 10, 2)) { // 9 and the cheque's id marker
		t.Errorf("a second run copied, or counted otherwise:\n%s", again)
	}
	if !reflect.DeepEqual(w.items(w.live), now) {
		t.Error("the second run changed the live table")
	}
}

func sameStrings(a, b []string) bool {
	a, b = append([]string(nil), a...), append([]string(nil), b...)
	slices.Sort(a)
	slices.Sort(b)
	return slices.Equal(a, b)
}

// TestRestoreCopyRefuses: without the erasure key while erasure records exist, on a table
// that does not exist, or with bad flags, nothing is written and the message says why.
func TestRestoreCopyRefuses(t *testing.T) {
	w := newRestoreWorld(t)
	live0 := w.items(w.live)
	for _, tt := range []struct {
		src  Sources
		args []string
		want string
	}{
		{Sources{}, []string{"-from", w.from, "-confirm"}, "the erasure key is needed"},
		{Sources{ErasureKey: func(context.Context) ([]byte, error) { return []byte("short"), nil }}, []string{"-from", w.from, "-confirm"},
			"shorter than 32 bytes"},
		{Sources{ErasureKey: func(context.Context) ([]byte, error) { return []byte(strings.Repeat("another key ", 4)), nil }},
			[]string{"-from", w.from, "-confirm"}, "made with another erasure key"},
		{withKey(Sources{}), []string{"-from", w.live + "-nope", "-confirm"}, "aws dynamodb wait table-exists --table-name " + w.live + "-nope"},
		{withKey(Sources{}), []string{"-from", w.live, "-confirm"}, "is the live table itself"},
		{withKey(Sources{}), []string{"-confirm"}, "-from RESTORED_TABLE is required"},
	} {
		_, err := w.run(tt.src, append([]string{"restore", "copy"}, tt.args...)...)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%v: %v, want %q", tt.args, err, tt.want)
		}
	}
	if !reflect.DeepEqual(w.items(w.live), live0) {
		t.Error("a refused copy changed the live table")
	}
}

func TestParseRestoreArgs(t *testing.T) {
	for _, tt := range []struct {
		args    []string
		want    restoreArgs
		wantErr string
	}{
		{[]string{"-from", "solidarity-Table-restored-20261127"}, restoreArgs{From: "solidarity-Table-restored-20261127"}, ""},
		{[]string{"-from=t.x_y", "-confirm"}, restoreArgs{From: "t.x_y", Confirm: true}, ""},
		{[]string{"-confirm", "-from", "abc"}, restoreArgs{From: "abc", Confirm: true}, ""},
		{nil, restoreArgs{}, "-from RESTORED_TABLE is required"},
		{[]string{"-from", "ab"}, restoreArgs{}, "is not a DynamoDB table name"},
		{[]string{"-from", "a table"}, restoreArgs{}, "is not a DynamoDB table name"},
		{[]string{"-from", "tbl/../x"}, restoreArgs{}, "is not a DynamoDB table name"},
		{[]string{"-from", strings.Repeat("t", 256)}, restoreArgs{}, "is not a DynamoDB table name"},
		{[]string{"-from", "live"}, restoreArgs{}, "is the live table itself"},
		{[]string{"-from", "abc", "extra"}, restoreArgs{}, `restore copy takes only options (words that start with -), not "extra"`},
		{[]string{"-to", "abc"}, restoreArgs{}, "restore copy has no option -to"},
	} {
		got, err := parseRestoreArgs(tt.args, "live")
		switch {
		case tt.wantErr == "" && (err != nil || got != tt.want):
			t.Errorf("%q: %+v, %v; want %+v", tt.args, got, err, tt.want)
		case tt.wantErr != "" && (err == nil || !errors.Is(err, ErrUsage) || !strings.Contains(err.Error(), tt.wantErr)):
			t.Errorf("%q: %v, want a usage error saying %q", tt.args, err, tt.wantErr)
		}
	}
}

func FuzzParseRestoreArgs(f *testing.F) {
	for _, seed := range []string{"solidarity-restored", "", "a b", "live", "-confirm", "x\x00y", strings.Repeat("é", 100)} {
		f.Add(seed, true)
	}
	f.Fuzz(func(t *testing.T, from string, confirm bool) {
		args := []string{"-from", from}
		if confirm {
			args = append(args, "-confirm")
		}
		a, err := parseRestoreArgs(args, "live")
		if err != nil {
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("%q: not a usage error: %v", from, err)
			}
			return
		}
		if a.From != from || a.Confirm != confirm || a.From == "live" || !tableNameRE.MatchString(a.From) {
			t.Fatalf("%q accepted as %+v", from, a)
		}
	})
}

// TestSameItem: sets compare in any order; any other difference differs.
func TestSameItem(t *testing.T) {
	a := map[string]types.AttributeValue{"pk": s("A"), "tags": &types.AttributeValueMemberSS{Value: []string{"x", "y"}},
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"n": n("1")}}}
	b := map[string]types.AttributeValue{"pk": s("A"), "tags": &types.AttributeValueMemberSS{Value: []string{"y", "x"}},
		"m": &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"n": n("1")}}}
	if !sameItem(a, b) {
		t.Error("sets in another order differ")
	}
	for name, change := range map[string]func(map[string]types.AttributeValue){
		"value": func(m map[string]types.AttributeValue) { m["pk"] = s("B") },
		"type":  func(m map[string]types.AttributeValue) { m["pk"] = n("1") },
		"more":  func(m map[string]types.AttributeValue) { m["extra"] = s("") },
		"less":  func(m map[string]types.AttributeValue) { delete(m, "tags") },
		"nested": func(m map[string]types.AttributeValue) {
			m["m"] = &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{"n": n("2")}}
		},
	} {
		c := map[string]types.AttributeValue{}
		for k, v := range b {
			c[k] = v
		}
		change(c)
		if sameItem(a, c) {
			t.Errorf("%s: the same", name)
		}
	}
}

// TestKeyLabel: a person's part of a key never shows; a record's id does.
func TestKeyLabel(t *testing.T) {
	for pk, want := range map[[2]string]string{
		{"PERSON#ana@example.org", "MEMBER"}:    "PERSON#… MEMBER",
		{"CAMPAIGN#winter", "DONOR#0a1b2c"}:     "CAMPAIGN#winter DONOR#…",
		{"DONATION#don_1", "META"}:              "DONATION#don_1 META",
		{"SUPPRESSION#9f86d0", "META"}:          "SUPPRESSION#… META",
		{"CUSTOMER#cus_1", "SUB#subs_1"}:        "CUSTOMER#… SUB#subs_1",
		{"ERASURE#abc", "2026-11-27T20:00:00Z"}: "ERASURE#… 2026-11-27T20:00:00Z",
		{"CAMPAIGN#winter", "OFFLINE#cheque-1"}: "CAMPAIGN#winter OFFLINE#cheque-1",
		{"nohash", "META"}:                      "nohash META",
	} {
		if got := keyLabel(pk[0], pk[1]); got != want {
			t.Errorf("keyLabel(%q, %q) = %q, want %q", pk[0], pk[1], got, want)
		}
	}
}
