package request

import (
	"encoding/json"
	"io"
	"net/http"
)

// Floor is the least a JSON endpoint can do with a request: read the body, decode it,
// encode an answer. The request paths' benchmarks run beside it, so their figures read as
// a multiple of this floor rather than as bare numbers.
func Floor(w http.ResponseWriter, r *http.Request, status int, answer any) {
	body, _ := io.ReadAll(io.LimitReader(r.Body, MaxBody))
	var v map[string]any
	_ = json.Unmarshal(body, &v)
	out, _ := json.Marshal(answer)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(out)
}
