package token

import "errors"

// ErrNotFound means no token has the hash: never minted, or expired and deleted.
var ErrNotFound = errors.New("token not found")
