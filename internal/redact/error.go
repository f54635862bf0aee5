package redact

// Error returns err with its text masked by Text, for errors that reach a
// log or a dashboard (asynq keeps a failed task's error text in Redis and
// asynqmon shows it); errors.Is and errors.As still see err. A nil err
// stays nil.
func Error(err error) error {
	if err == nil {
		return nil
	}
	return maskedError{err}
}

type maskedError struct{ err error }

func (m maskedError) Error() string { return Text(m.err.Error()) }

func (m maskedError) Unwrap() error { return m.err }
