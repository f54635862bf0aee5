package sms

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/salonworks/jobs/internal/sms/outbox"
	"github.com/salonworks/jobs/internal/sms/twilio"
)

func TestMatch(t *testing.T) {
	t.Parallel()
	h := t0 // the first hand-over
	row := func(id int64, handed time.Time, body string) outbox.Message {
		return outbox.Message{ID: id, HandedAt: handed, Body: body, Status: outbox.StatusUnknown}
	}
	msg := func(sid string, created time.Time, body string) twilio.Listed {
		return twilio.Listed{SID: sid, Created: created.Truncate(time.Second), Body: body, Status: "sent"}
	}
	const skew, window = 5 * time.Second, time.Minute
	tests := []struct {
		name string
		rows []outbox.Message
		msgs []twilio.Listed
		want map[int64]verdict
	}{
		{
			name: "body rewritten by the Messaging Service",
			rows: []outbox.Message{row(1, h, "Book now: https://salon.example/very/long/link")},
			msgs: []twilio.Listed{msg("SMa", h.Add(300*time.Millisecond), "Book now: https://tw.lnk/x")},
			want: map[int64]verdict{1: {kind: found, sid: "SMa", status: "sent"}},
		},
		{
			name: "created before the hand-over is someone else's",
			rows: []outbox.Message{row(1, h, "Hi")},
			msgs: []twilio.Listed{msg("SMold", h.Add(-time.Hour), "Hi")},
			want: map[int64]verdict{1: {kind: absent}},
		},
		{
			name: "created after the window is a later text's",
			rows: []outbox.Message{row(1, h, "Hi")},
			msgs: []twilio.Listed{msg("SMlate", h.Add(10*time.Minute), "Hi")},
			want: map[int64]verdict{1: {kind: absent}},
		},
		{
			name: "two texts in one window told apart by their own bodies",
			rows: []outbox.Message{row(1, h, "Your confirmation"), row(2, h.Add(time.Second), "Please review us")},
			msgs: []twilio.Listed{msg("SMb", h.Add(time.Second), "Please review us"), msg("SMa", h, "Your confirmation")},
			want: map[int64]verdict{1: {kind: found, sid: "SMa", status: "sent"}, 2: {kind: found, sid: "SMb", status: "sent"}},
		},
		{
			name: "two rewritten texts in one window: both sent, no SID swapped",
			rows: []outbox.Message{row(1, h, "A é"), row(2, h.Add(time.Second), "B é")},
			msgs: []twilio.Listed{msg("SMb", h.Add(time.Second), "B e"), msg("SMa", h, "A e")},
			want: map[int64]verdict{1: {kind: foundUnattributed}, 2: {kind: foundUnattributed}},
		},
		{
			name: "two texts in one window, one at Twilio: undecided",
			rows: []outbox.Message{row(1, h, "A é"), row(2, h.Add(time.Second), "B é")},
			msgs: []twilio.Listed{msg("SMa", h, "A e")},
			want: map[int64]verdict{1: {kind: ambiguous}, 2: {kind: ambiguous}},
		},
		{
			name: "a text an hour later is apart",
			rows: []outbox.Message{row(1, h, "A"), row(2, h.Add(time.Hour), "A")},
			msgs: []twilio.Listed{msg("SMb", h.Add(time.Hour+time.Second), "A")},
			want: map[int64]verdict{1: {kind: absent}, 2: {kind: found, sid: "SMb", status: "sent"}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			got := match(tt.rows, tt.msgs, skew, window)
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(verdict{})); diff != "" {
				t.Errorf("match() (-want +got):\n%s", diff)
			}
		})
	}
}
