package uploads

import "errors"

// Rejection is a problem with the uploaded file itself: the upload is
// rejected with Reason, which its owner reads, and never retried.
type Rejection struct {
	// Reason says what is wrong, in words for the person who uploaded.
	Reason string
}

// Error implements error.
func (r *Rejection) Error() string { return "file rejected: " + r.Reason }

func reject(reason string) error { return &Rejection{Reason: reason} }

// asRejection returns the Rejection in err, if any.
func asRejection(err error) (*Rejection, bool) {
	var r *Rejection
	ok := errors.As(err, &r)
	return r, ok
}
