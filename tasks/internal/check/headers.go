package check

import (
	"maps"

	"github.com/hibiken/asynq"
)

// HeadersOpt is the asynq.OptionType of a Headers option. asynq's client
// ignores option types it does not know, so a Headers option that reaches
// it by another path does no harm.
const HeadersOpt asynq.OptionType = 1 << 10

// Headers is an option of the task constructors, not of asynq: Task
// carries its values as the task's headers (asynq.NewTaskWithHeaders),
// beside the payload, which stays exactly the kind's fields.
type Headers map[string]string

// String implements asynq.Option.
func (h Headers) String() string { return "Headers(…)" }

// Type implements asynq.Option.
func (h Headers) Type() asynq.OptionType { return HeadersOpt }

// Value implements asynq.Option.
func (h Headers) Value() any { return map[string]string(h) }

// splitHeaders takes the Headers options out of opts, merged in order.
func splitHeaders(opts []asynq.Option) (map[string]string, []asynq.Option) {
	var headers map[string]string
	rest := opts[:0:0]
	for _, o := range opts {
		if h, ok := o.(Headers); ok {
			if headers == nil {
				headers = map[string]string{}
			}
			maps.Copy(headers, h)
			continue
		}
		rest = append(rest, o)
	}
	return headers, rest
}
