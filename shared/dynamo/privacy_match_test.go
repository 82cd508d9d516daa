package dynamo

import (
	"strings"
	"testing"
	"unicode/utf8"
)

// TestNameInNote: a note names a person when their name's words appear in it in order,
// as whole words, whatever the case, accents and punctuation.
func TestNameInNote(t *testing.T) {
	tests := []struct {
		note, name string
		want       bool
	}{
		{"cheque from Félicité Ndiaye", "Félicité Ndiaye", true},
		{"CHEQUE FROM FELICITE NDIAYE.", "félicité ndiaye", true},
		{"from Ndiaye, Félicité", "Félicité Ndiaye", false}, // another order
		{"from Félicité-Ndiaye's aunt", "Félicité Ndiaye", true},
		{"from Diana Royer", "Ana Roy", false}, // inside other words
		{"Ana's cousin", "Ana Roy", false},
		{"reply to ana@example.org", "ana@example.org", true},
		{"reply to diana@example.org", "ana@example.org", false},
		{"Œuvre de Zoë Lætitia", "oeuvre de zoe laetitia", true},
		{"Œuvre de Jérôme", "oeuvre de jerome", true},
		{"Jérôme", "Jerome Roy", false}, // the whole name, not a part
		{"", "Ana Roy", false},
		{"Ana Roy", "", false},
	}
	for _, tt := range tests {
		if got := containsWords(foldWords(tt.note), foldWords(tt.name)); got != tt.want {
			t.Errorf("%q names %q: %v, want %v", tt.note, tt.name, got, tt.want)
		}
	}
}

// FuzzNameInNote: any text with words names itself, inside any other text, in any case;
// folding never makes an empty word.
func FuzzNameInNote(f *testing.F) {
	for _, s := range []string{"Félicité Ndiaye", "ana@example.org", "Œuvre", "  ", "a-b c"} {
		f.Add(s, "from ")
	}
	f.Fuzz(func(t *testing.T, name, around string) {
		if !utf8.ValidString(name) || !utf8.ValidString(around) {
			return
		}
		words := foldWords(name)
		for _, w := range words {
			if w == "" {
				t.Fatalf("an empty word from %q", name)
			}
		}
		if len(words) == 0 {
			return
		}
		note := around + " " + strings.ToUpper(name) + " " + around
		if strings.ToLower(strings.ToUpper(name)) != strings.ToLower(name) {
			note = around + " " + name + " " + around // case mapping that does not round-trip
		}
		if !containsWords(foldWords(note), words) {
			t.Fatalf("%q does not name %q", note, name)
		}
	})
}
