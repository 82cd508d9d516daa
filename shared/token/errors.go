package token

import "errors"

// ErrNotFound means no token has the hash: never minted, or expired and deleted.
var ErrNotFound = errors.New("token not found")

// ErrUsed means a single-use link was used already, or expired.
var ErrUsed = errors.New("token used or expired")
