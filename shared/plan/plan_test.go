package plan

import (
	"strings"
	"testing"
)

func TestDefault(t *testing.T) {
	c := Default()
	for slug, want := range map[string]struct {
		kind, interval string
		mailed         bool
	}{
		"solidarity-annual": {KindSubscription, "year", true}, "solidarity-monthly": {KindSubscription, "month", true},
		"dues-monthly": {KindDues, "month", false},
	} {
		p, ok := c[slug]
		if !ok || p.Kind != want.kind || p.Interval != want.interval || p.Mailed != want.mailed || p.Currency != "cad" {
			t.Errorf("%s: %+v", slug, p)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	for name, body := range map[string]string{
		"bad slug":     `[{"slug":"A B","kind":"dues","name_en":"x","name_fr":"x","amount_cents":500,"currency":"cad","interval":"month"}]`,
		"bad kind":     `[{"slug":"a","kind":"gift","name_en":"x","name_fr":"x","amount_cents":500,"currency":"cad","interval":"month"}]`,
		"no name":      `[{"slug":"a","kind":"dues","name_en":"x","amount_cents":500,"currency":"cad","interval":"month"}]`,
		"tiny amount":  `[{"slug":"a","kind":"dues","name_en":"x","name_fr":"x","amount_cents":10,"currency":"cad","interval":"month"}]`,
		"bad interval": `[{"slug":"a","kind":"dues","name_en":"x","name_fr":"x","amount_cents":500,"currency":"cad","interval":"week"}]`,
		"duplicate":    `[{"slug":"a","kind":"dues","name_en":"x","name_fr":"x","amount_cents":500,"currency":"cad","interval":"month"},{"slug":"a","kind":"dues","name_en":"x","name_fr":"x","amount_cents":500,"currency":"cad","interval":"month"}]`,
		"not json":     `{`,
	} {
		if _, err := Parse([]byte(body)); err == nil {
			t.Errorf("%s: accepted", name)
		} else if name == "duplicate" && !strings.Contains(err.Error(), "twice") {
			t.Errorf("%s: %v", name, err)
		}
	}
}
