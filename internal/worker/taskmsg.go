package worker

import (
	"errors"
	"fmt"
	"slices"

	"google.golang.org/protobuf/encoding/protowire"
)

// taskMsg is the part of asynq's stored task message (the protobuf in the
// "msg" field of a task's hash) that the batch fetcher reads. raw is the
// message as stored: what the fetcher writes back is raw with the
// attempt's fields replaced, so fields it does not know survive.
type taskMsg struct {
	raw       []byte
	Type      string
	Payload   []byte
	Headers   map[string]string
	ID        string
	Queue     string
	Retry     int
	Retried   int
	Timeout   int64 // seconds; 0: none
	Deadline  int64 // unix seconds; 0: none
	UniqueKey string
	Retention int64 // seconds
}

// Field numbers of asynq's TaskMessage (internal/proto/asynq.proto of
// asynq v0.26), a stored format asynq keeps stable across versions.
const (
	fieldType         protowire.Number = 1
	fieldPayload      protowire.Number = 2
	fieldID           protowire.Number = 3
	fieldQueue        protowire.Number = 4
	fieldRetry        protowire.Number = 5
	fieldRetried      protowire.Number = 6
	fieldErrorMsg     protowire.Number = 7
	fieldTimeout      protowire.Number = 8
	fieldDeadline     protowire.Number = 9
	fieldUniqueKey    protowire.Number = 10
	fieldLastFailedAt protowire.Number = 11
	fieldRetention    protowire.Number = 12
	fieldCompletedAt  protowire.Number = 13
	fieldHeaders      protowire.Number = 15
)

var errBadMsg = errors.New("malformed task message")

// decodeTaskMsg reads a stored task message.
func decodeTaskMsg(b []byte) (*taskMsg, error) {
	m := &taskMsg{raw: b}
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			return nil, fmt.Errorf("%w: %v", errBadMsg, protowire.ParseError(n))
		}
		b = b[n:]
		switch {
		case typ == protowire.BytesType:
			v, n := protowire.ConsumeBytes(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: field %d: %v", errBadMsg, num, protowire.ParseError(n))
			}
			b = b[n:]
			switch num {
			case fieldType:
				m.Type = string(v)
			case fieldPayload:
				m.Payload = v
			case fieldID:
				m.ID = string(v)
			case fieldQueue:
				m.Queue = string(v)
			case fieldUniqueKey:
				m.UniqueKey = string(v)
			case fieldHeaders:
				k, val, err := decodeHeader(v)
				if err != nil {
					return nil, err
				}
				if m.Headers == nil {
					m.Headers = map[string]string{}
				}
				m.Headers[k] = val
			}
		case typ == protowire.VarintType:
			v, n := protowire.ConsumeVarint(b)
			if n < 0 {
				return nil, fmt.Errorf("%w: field %d: %v", errBadMsg, num, protowire.ParseError(n))
			}
			b = b[n:]
			switch num {
			case fieldRetry:
				m.Retry = int(int32(v))
			case fieldRetried:
				m.Retried = int(int32(v))
			case fieldTimeout:
				m.Timeout = int64(v)
			case fieldDeadline:
				m.Deadline = int64(v)
			case fieldRetention:
				m.Retention = int64(v)
			}
		default:
			n := protowire.ConsumeFieldValue(num, typ, b)
			if n < 0 {
				return nil, fmt.Errorf("%w: field %d: %v", errBadMsg, num, protowire.ParseError(n))
			}
			b = b[n:]
		}
	}
	if m.ID == "" || m.Type == "" {
		return nil, fmt.Errorf("%w: no task ID or type", errBadMsg)
	}
	return m, nil
}

// decodeHeader reads one entry of the headers map (key 1, value 2).
func decodeHeader(b []byte) (k, v string, err error) {
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 || typ != protowire.BytesType {
			return "", "", fmt.Errorf("%w: header entry", errBadMsg)
		}
		b = b[n:]
		s, n := protowire.ConsumeBytes(b)
		if n < 0 {
			return "", "", fmt.Errorf("%w: header entry", errBadMsg)
		}
		b = b[n:]
		switch num {
		case 1:
			k = string(s)
		case 2:
			v = string(s)
		}
	}
	return k, v, nil
}

// failed returns the stored message of an attempt that failed: retried
// retries spent, its error and when.
func (m *taskMsg) failed(retried int, errorMsg string, at int64) []byte {
	out := m.without(fieldRetried, fieldErrorMsg, fieldLastFailedAt)
	out = appendVarint(out, fieldRetried, uint64(int64(retried)))
	if errorMsg != "" {
		out = protowire.AppendTag(out, fieldErrorMsg, protowire.BytesType)
		out = protowire.AppendString(out, errorMsg)
	}
	return appendVarint(out, fieldLastFailedAt, uint64(at))
}

// completed returns the stored message of a task completed at at.
func (m *taskMsg) completed(at int64) []byte {
	return appendVarint(m.without(fieldCompletedAt), fieldCompletedAt, uint64(at))
}

// appendVarint appends field num unless v is 0, which protobuf leaves out.
func appendVarint(b []byte, num protowire.Number, v uint64) []byte {
	if v == 0 {
		return b
	}
	b = protowire.AppendTag(b, num, protowire.VarintType)
	return protowire.AppendVarint(b, v)
}

// without returns a copy of the stored message without the fields nums,
// with room to add them again.
func (m *taskMsg) without(nums ...protowire.Number) []byte {
	out := make([]byte, 0, len(m.raw)+64)
	b := m.raw
	for len(b) > 0 {
		num, typ, n := protowire.ConsumeTag(b)
		if n < 0 {
			break // decodeTaskMsg read it whole: unreachable
		}
		size := protowire.ConsumeFieldValue(num, typ, b[n:])
		if size < 0 {
			break
		}
		if !slices.Contains(nums, num) {
			out = append(out, b[:n+size]...)
		}
		b = b[n+size:]
	}
	return out
}
