package infra

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// TestAthenaQueriesMatchTheTemplate: the saved queries template.yaml creates are the files
// in infra/athena, word for word (the template escapes Athena's ${day} as ${!day}).
func TestAthenaQueriesMatchTheTemplate(t *testing.T) {
	tmpl, err := os.ReadFile(filepath.Join("..", "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)      Name: solidarity-([a-z-]+)\n.*?      QueryString: !Sub\n        - \|\n(.*?)\n        - ExportsBucket`)
	found := re.FindAllSubmatch(tmpl, -1)
	files, _ := filepath.Glob(filepath.Join("athena", "*.sql"))
	if len(found) == 0 || len(found) != len(files) {
		t.Fatalf("the template saves %d queries; infra/athena has %d files", len(found), len(files))
	}
	for _, m := range found {
		name := strings.ReplaceAll(string(m[1]), "-", "_") + ".sql"
		want, err := os.ReadFile(filepath.Join("athena", name))
		if err != nil {
			t.Fatalf("the template's query %s has no file: %v", m[1], err)
		}
		var lines []string
		for _, l := range strings.Split(string(m[2]), "\n") {
			lines = append(lines, strings.TrimPrefix(l, "          "))
		}
		got := strings.ReplaceAll(strings.Join(lines, "\n"), "${!day}", "${day}")
		if strings.TrimSpace(got) != strings.TrimSpace(string(want)) {
			t.Errorf("%s differs from the template's query:\n%s", name, got)
		}
	}
}
