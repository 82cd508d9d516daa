package ids_test

import (
	"encoding/base32"
	"regexp"
	"strings"
	"testing"

	"github.com/solidarity/solidarity/shared/ids"
)

// shape is prefix_ then 26 characters of lowercase base32 (RFC 4648: a–z and 2–7).
var shape = regexp.MustCompile(`^([a-z]*)_([a-z2-7]{26})$`)

func TestNew(t *testing.T) {
	for _, prefix := range []string{"don", "mem", "sub", "email", ""} {
		t.Run("prefix "+prefix+" then 26 lowercase base32 characters", func(t *testing.T) {
			id := ids.New(prefix)
			m := shape.FindStringSubmatch(id)
			if m == nil || m[1] != prefix {
				t.Fatalf("New(%q) = %q", prefix, id)
			}
			if len(id) != len(prefix)+1+26 {
				t.Errorf("length %d", len(id))
			}
		})
	}

	t.Run("the characters after the prefix are exactly 128 bits", func(t *testing.T) {
		for range 100 {
			id := ids.New("don")
			b, err := base32.StdEncoding.WithPadding(base32.NoPadding).DecodeString(strings.ToUpper(strings.TrimPrefix(id, "don_")))
			if err != nil || len(b) != 16 {
				t.Fatalf("%q decodes to %d bytes: %v", id, len(b), err)
			}
		}
	})

	t.Run("ids are safe in URLs and table keys", func(t *testing.T) {
		id := ids.New("don")
		if strings.ContainsAny(id, "#/?&=%+ ") || id != strings.ToLower(id) {
			t.Errorf("id %q", id)
		}
	})

	t.Run("thousands of ids are all different", func(t *testing.T) {
		const n = 5000
		seen := make(map[string]bool, n)
		for range n {
			id := ids.New("don")
			if seen[id] {
				t.Fatalf("%q made twice in %d", id, len(seen))
			}
			seen[id] = true
		}
	})

	t.Run("every position varies", func(t *testing.T) {
		// A fixed character would mean fewer random bits than promised. 128 bits are
		// 25 characters of 5 bits and a last one of 3 (then 2 zero bits): 8 values.
		var chars [26]map[byte]bool
		for i := range chars {
			chars[i] = map[byte]bool{}
		}
		for range 2000 {
			s := strings.TrimPrefix(ids.New("x"), "x_")
			for i := range s {
				chars[i][s[i]] = true
			}
		}
		for i, c := range chars {
			want := 32
			if i == 25 {
				want = 8
			}
			if len(c) != want {
				t.Errorf("position %d took %d values, want %d", i, len(c), want)
			}
		}
	})
}
