package storage

import (
	"fmt"
	"strings"
	"unicode/utf8"
)

// MaxKeyBytes bounds a key: S3's limit.
const MaxKeyBytes = 1024

// CheckKey returns an error wrapping ErrInvalidKey unless key is a
// relative, slash-separated path of at most MaxKeyBytes bytes of UTF-8
// without control characters or backslashes, whose segments are neither
// empty nor start with a dot. That refuses "..", ".", absolute paths and
// "a//b" (which S3 would keep but a directory cannot), and reserves
// dot-names for the local store's own files (its signing key, temporary
// files).
func CheckKey(key string) error {
	if why := keyProblem(key); why != "" {
		return fmt.Errorf("%w %q: %s", ErrInvalidKey, key, why)
	}
	return nil
}

func keyProblem(key string) string {
	switch {
	case key == "":
		return "empty"
	case len(key) > MaxKeyBytes:
		return fmt.Sprintf("longer than %d bytes", MaxKeyBytes)
	case !utf8.ValidString(key):
		return "not UTF-8"
	case strings.HasPrefix(key, "/"):
		return "absolute"
	case strings.ContainsRune(key, '\\'):
		return "contains a backslash"
	case strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }):
		return "contains a control character"
	}
	for seg := range strings.SplitSeq(key, "/") {
		switch {
		case seg == "":
			return "has an empty segment"
		case seg == "." || seg == "..":
			return "has a " + seg + " segment"
		case strings.HasPrefix(seg, "."):
			return "has a segment starting with a dot"
		}
	}
	return ""
}
