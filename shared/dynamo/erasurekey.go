package dynamo

// ErasureKeyID names an erasure key without revealing it: the key_id of the erasure
// records made with it, so a tool holding a key can tell which records it can match.
func ErasureKeyID(key []byte) string { return erasureKeyID(key) }
