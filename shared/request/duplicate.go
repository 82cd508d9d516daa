package request

import (
	"bytes"
	"encoding/json"
	"strings"
)

// duplicateKey finds a key given twice in one JSON object (compared without case, as
// encoding/json matches them), and returns its dotted path. Such a body is ambiguous —
// which value counts? — so it is refused rather than read one way.
func duplicateKey(raw []byte) (string, bool) {
	type frame struct {
		object    bool
		keys      map[string]bool
		expectKey bool
		path, key string
	}
	child := func(f *frame) string {
		if !f.object || f.path == "" {
			if f.object {
				return f.key
			}
			return f.path
		}
		return f.path + "." + f.key
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	var stack []*frame
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false // the decoder proper reports what is wrong
		}
		var top *frame
		if len(stack) > 0 {
			top = stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				path := ""
				if top != nil {
					path = child(top)
					top.expectKey = true
				}
				stack = append(stack, &frame{object: d == '{', keys: map[string]bool{}, expectKey: true, path: path})
			case '}', ']':
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if top == nil || !top.object {
			continue
		}
		if !top.expectKey {
			top.expectKey = true
			continue
		}
		key, _ := tok.(string)
		folded := strings.ToLower(key)
		top.key, top.expectKey = key, false
		if top.keys[folded] {
			return child(top), true
		}
		top.keys[folded] = true
	}
}
