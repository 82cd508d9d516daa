package export

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

func gz(t testing.TB, lines ...string) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	for _, l := range lines {
		fmt.Fprintln(w, l)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func write(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func line(pk string, n int) string {
	return fmt.Sprintf(`{"Item":{"pk":{"S":"%s"},"sk":{"S":"META"},"n":{"N":"%d"},"ok":{"BOOL":true},"tags":{"SS":["a","b"]},"m":{"M":{"l":{"L":[{"S":"x"},{"NULL":true}]}}}}}`, pk, n)
}

func readAll(t *testing.T, dir string) ([]Item, error) {
	t.Helper()
	files, err := Locate(context.Background(), Dir(dir))
	if err != nil {
		return nil, err
	}
	var items []Item
	err = Reader{Source: Dir(dir), Workers: 2}.Read(context.Background(), files, func(it Item) error {
		items = append(items, it)
		return nil
	})
	return items, err
}

func TestReadMotoLayout(t *testing.T) {
	dir := t.TempDir()
	var lines []string
	for i := 0; i < 1500; i++ { // several batches
		lines = append(lines, line(fmt.Sprint("K#", i), i))
	}
	write(t, filepath.Join(dir, "exports/AWSDynamoDB/ffff-older/data/a.json.gz"), gz(t, line("OLD", 0)))
	old := time.Now().Add(-time.Hour)
	if err := os.Chtimes(filepath.Join(dir, "exports/AWSDynamoDB/ffff-older/data/a.json.gz"), old, old); err != nil {
		t.Fatal(err)
	}
	write(t, filepath.Join(dir, "exports/AWSDynamoDB/0002-new/data/b.json.gz"), gz(t, lines[:700]...))
	write(t, filepath.Join(dir, "exports/AWSDynamoDB/0002-new/data/c.json.gz"), gz(t, lines[700:]...))
	items, err := readAll(t, dir)
	if err != nil || len(items) != 1500 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	seen := map[string]bool{}
	for _, it := range items {
		seen[it["pk"].(*types.AttributeValueMemberS).Value] = true
		if it["ok"].(*types.AttributeValueMemberBOOL).Value != true || len(it["tags"].(*types.AttributeValueMemberSS).Value) != 2 ||
			len(it["m"].(*types.AttributeValueMemberM).Value["l"].(*types.AttributeValueMemberL).Value) != 2 {
			t.Fatalf("item %v", it)
		}
	}
	if len(seen) != 1500 || seen["OLD"] {
		t.Fatalf("%d distinct, old export read: %v", len(seen), seen["OLD"])
	}
}

func TestReadAWSLayout(t *testing.T) {
	dir := t.TempDir()
	base := "exports/AWSDynamoDB/01700000000000-abcd"
	write(t, filepath.Join(dir, base, "data/x1.json.gz"), gz(t, line("A", 1), line("B", 2)))
	write(t, filepath.Join(dir, base, "data/stray.json.gz"), gz(t, line("STRAY", 3))) // not in the manifest
	write(t, filepath.Join(dir, base, "manifest-summary.json"), []byte(`{"itemCount":2}`))
	write(t, filepath.Join(dir, base, "manifest-files.json"), []byte(`{"itemCount":2,"dataFileS3Key":"`+base+`/data/x1.json.gz"}`+"\n"))
	items, err := readAll(t, dir)
	if err != nil || len(items) != 2 {
		t.Fatalf("%d items, %v", len(items), err)
	}
	t.Run("a data file the manifest lists is missing", func(t *testing.T) {
		write(t, filepath.Join(dir, base, "manifest-files.json"), []byte(`{"dataFileS3Key":"`+base+`/data/x1.json.gz"}`+"\n"+`{"dataFileS3Key":"`+base+`/data/gone.json.gz"}`+"\n"))
		if _, err := readAll(t, dir); err == nil || !strings.Contains(err.Error(), "manifest-files.json line 2") || !strings.Contains(err.Error(), "gone.json.gz") {
			t.Fatalf("err = %v", err)
		}
	})
}

func TestReadBadFiles(t *testing.T) {
	good := gz(t, line("A", 1), line("B", 2), line("C", 3))
	tests := []struct {
		name string
		data []byte
		want []string
	}{
		{"truncated gzip", good[:len(good)-12], []string{"d.json.gz", "line", "truncated"}},
		{"not gzip", []byte("hello"), []string{"d.json.gz", "not a gzip file"}},
		{"a line that is not JSON", gz(t, line("A", 1), `{"Item":{"pk":{"S":"B"}`, line("C", 3)), []string{"d.json.gz line 2"}},
		{"a line without Item", gz(t, line("A", 1), line("B", 2), `{"pk":{"S":"C"}}`), []string{"d.json.gz line 3", `no "Item"`}},
		{"an attribute without a type", gz(t, `{"Item":{"pk":{}}}`), []string{"d.json.gz line 1", `attribute "pk"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			write(t, filepath.Join(dir, "AWSDynamoDB/01/data/d.json.gz"), tt.data)
			_, err := readAll(t, dir)
			for _, w := range tt.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Fatalf("err = %v, want it to say %q", err, w)
				}
			}
		})
	}
	if _, err := readAll(t, t.TempDir()); err == nil || !strings.Contains(err.Error(), "no export data files") {
		t.Fatalf("empty folder: %v", err)
	}
}

// FuzzParseLine: whatever the bytes, the parser does not panic; what it accepts, written
// back as canonical DynamoDB JSON, encoding/json reads as the same item, and the parser
// reads again the same.
func FuzzParseLine(f *testing.F) {
	f.Add([]byte(line("A", 1)))
	f.Add([]byte(`{"Item":{"a":{"B":"AAEC"},"b":{"NS":["1","2"]},"c":{"BS":["AA=="]},"d":{"S":"\u00e9\"x"}}}`))
	f.Add([]byte(`{"Item":null}`))
	f.Add([]byte(`{"Item":{"m":{"M":{"l":{"L":[{"NULL":true},{"M":{}}]}}}}}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		it, err := ParseLine(b)
		if err != nil {
			return
		}
		if it == nil {
			t.Fatal("no item and no error")
		}
		canon := marshal(it)
		ref, err := parseLineJSON(canon)
		if err != nil || !reflect.DeepEqual(ref, it) {
			t.Fatalf("%q → %s: encoding/json reads %v, %v", b, canon, ref, err)
		}
		again, err := ParseLine(canon)
		if err != nil || !reflect.DeepEqual(again, it) {
			t.Fatalf("%q → %s: read again %v, %v", b, canon, again, err)
		}
	})
}
