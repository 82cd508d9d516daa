package assembly_test

import (
	"context"
	"slices"
	"testing"

	"github.com/solidarity/solidarity/shared/assembly/donatefn"
	"github.com/solidarity/solidarity/shared/assembly/forms"
	"github.com/solidarity/solidarity/shared/assembly/portalfn"
	"github.com/solidarity/solidarity/shared/assembly/signupfn"
	"github.com/solidarity/solidarity/shared/assembly/subscribefn"
	"github.com/solidarity/solidarity/shared/guard"
	"github.com/solidarity/solidarity/shared/request"
)

// formGuards builds each form function from e and returns its guard, or the first error.
func formGuards(ctx context.Context, t *testing.T, changes map[string]string) (map[string]request.Guard, []string, error) {
	t.Helper()
	e, c := env(t, changes)
	out := map[string]request.Guard{}
	d, err := donatefn.New(ctx, e)
	if err != nil {
		return nil, c.made(), err
	}
	out["donations"] = d.Guard
	s, err := signupfn.New(ctx, e)
	if err != nil {
		return nil, c.made(), err
	}
	out["members"] = s.Guard
	sub, err := subscribefn.New(ctx, e)
	if err != nil {
		return nil, c.made(), err
	}
	out["subscriptions"] = sub.Guard
	p, err := portalfn.New(ctx, e)
	if err != nil {
		return nil, c.made(), err
	}
	out["portal"] = p.Guard
	return out, c.made(), nil
}

// TestFormHashingKey: every form's rate limits hash their keys with HASH_KEY (or the
// SecureString HASH_KEY_PARAM names); without one, or with one too short, a form function
// refuses to build while a limit is on, rather than store guessable hashes.
func TestFormHashingKey(t *testing.T) {
	ctx := context.Background()
	t.Run("HASH_KEY keys every form's counters", func(t *testing.T) {
		guards, calls, err := formGuards(ctx, t, nil)
		if err != nil {
			t.Fatal(err)
		}
		for endpoint, g := range guards {
			if f := g.(guard.Form); string(f.Limit.Limiter.Key) != base()["HASH_KEY"] {
				t.Errorf("%s: hashing key %q", endpoint, f.Limit.Limiter.Key)
			}
		}
		if len(calls) != 0 {
			t.Errorf("AWS was called: %q", calls)
		}
	})
	t.Run("HASH_KEY_PARAM is read from SSM", func(t *testing.T) {
		_, calls, err := formGuards(ctx, t, map[string]string{"HASH_KEY": "", "HASH_KEY_PARAM": "/solidarity/hash-key"})
		wantErr(t, err, "HASH_KEY", "SSM")
		if len(calls) != 1 || calls[0] != "AmazonSSM.GetParameters" {
			t.Errorf("calls %q, want one GetParameters", calls)
		}
	})
	for name, changes := range map[string]map[string]string{
		"without HASH_KEY or HASH_KEY_PARAM": {"HASH_KEY": ""},
		"with a HASH_KEY under 32 bytes":     {"HASH_KEY": "0123456789abcdef0123456789abcde"},
	} {
		t.Run(name+" a form function refuses to build", func(t *testing.T) {
			for _, endpoint := range []string{"members", "portal"} {
				e, c := env(t, changes)
				var err error
				if endpoint == "members" {
					_, err = signupfn.New(ctx, e)
				} else {
					_, err = portalfn.New(ctx, e)
				}
				wantErr(t, err, "HASH_KEY")
				noCalls(t, c)
			}
		})
	}
	t.Run("with every limit off no key is needed", func(t *testing.T) {
		if _, _, err := formGuards(ctx, t, map[string]string{"HASH_KEY": "", "RATE_LIMIT_PER_IP": "0", "RATE_LIMIT_PER_EMAIL": "0"}); err != nil {
			t.Fatal(err)
		}
	})
}

// TestFormSites: a form function believes CLIENT_IP_HEADER only with the CDN's secret,
// CLIENT_IP_SECRET or the SecureString CLIENT_IP_SECRET_PARAM names; without the header
// no secret is read.
func TestFormSites(t *testing.T) {
	ctx := context.Background()
	t.Run("CLIENT_IP_SECRET", func(t *testing.T) {
		e, c := env(t, map[string]string{"CLIENT_IP_HEADER": "CloudFront-Viewer-Address", "CLIENT_IP_SECRET": "cdn-secret-0123456789",
			"ALLOWED_ORIGINS": "https://forms.solidarity.example"})
		s, err := forms.Sites(ctx, e)
		if err != nil {
			t.Fatal(err)
		}
		if s.ClientIPHeader != "CloudFront-Viewer-Address" || s.ClientIPSecret != "cdn-secret-0123456789" ||
			s.Own != "https://api.solidarity.example" || !slices.Equal(s.Allowed, []string{"https://forms.solidarity.example"}) {
			t.Errorf("sites %+v", s)
		}
		noCalls(t, c)
	})
	t.Run("CLIENT_IP_SECRET_PARAM is read from SSM", func(t *testing.T) {
		e, c := env(t, map[string]string{"CLIENT_IP_HEADER": "CloudFront-Viewer-Address", "CLIENT_IP_SECRET_PARAM": "/solidarity/cdn-secret"})
		if e.Sites().ClientIPSecret != "" {
			t.Error("a function that reads no secret has one")
		}
		_, err := forms.Sites(ctx, e)
		wantErr(t, err, "CLIENT_IP_SECRET", "SSM")
		if made := c.made(); len(made) != 1 || made[0] != "AmazonSSM.GetParameters" {
			t.Errorf("calls %q, want one GetParameters", made)
		}
	})
	t.Run("without CLIENT_IP_HEADER nothing is read", func(t *testing.T) {
		e, c := env(t, map[string]string{"CLIENT_IP_SECRET_PARAM": "/solidarity/cdn-secret"})
		s, err := forms.Sites(ctx, e)
		if err != nil || s.ClientIPHeader != "" || s.ClientIPSecret != "" {
			t.Errorf("sites %+v, %v", s, err)
		}
		noCalls(t, c)
	})
}
