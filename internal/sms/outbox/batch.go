package outbox

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/sms/text"
)

// BatchSize is how many rows CreateBatch inserts per statement.
const BatchSize = 5000

// CreateBatch stores msgs as pending rows, each once per IdempotencyKey
// (keys already present, or repeated within msgs, are left alone), and
// returns the ids of the rows it inserted, ascending: the messages to
// enqueue. It is built for campaign fan-out: every message is validated
// first (one invalid message fails the call before anything is written),
// then each chunk of BatchSize rows is one INSERT … SELECT FROM unnest(…)
// ON CONFLICT DO NOTHING: one round trip per chunk, each committed on its
// own, so a failure part-way leaves the earlier chunks stored and a retry
// of the same call finishes the job.
//
// Rows are inserted in key order, so concurrent calls over overlapping
// keys (two dispatchers on one campaign) wait on each other in one order
// and cannot deadlock.
func (s *Store) CreateBatch(ctx context.Context, msgs []Message) (newIDs []int64, err error) {
	for i, m := range msgs {
		if err := validate(m); err != nil {
			return nil, fmt.Errorf("create batch: message %d (%q): %w", i, m.IdempotencyKey, err)
		}
	}
	sorted := slices.SortedFunc(slices.Values(msgs), func(a, b Message) int {
		return cmp.Compare(a.IdempotencyKey, b.IdempotencyKey)
	})
	for chunk := range slices.Chunk(sorted, BatchSize) {
		ids, err := s.insertChunk(ctx, chunk)
		if err != nil {
			return nil, fmt.Errorf("create batch of %d messages: %w", len(msgs), err)
		}
		newIDs = append(newIDs, ids...)
	}
	slices.Sort(newIDs)
	return newIDs, nil
}

// batchColumns holds a chunk column by column, for unnest.
type batchColumns struct {
	keys, categories, kinds, phones, bodies, encodings []string
	salons                                             []int64
	customers, appointments, campaigns                 []*int64
	segments                                           []int32
	waitReasons                                        []*string
	sendAfter                                          []*time.Time
}

func (s *Store) insertChunk(ctx context.Context, chunk []Message) ([]int64, error) {
	var c batchColumns
	var lastBody, lastEncoding string
	var lastSegments int
	for _, m := range chunk {
		// A campaign's messages usually share one body: count it once.
		if m.Body != lastBody || lastEncoding == "" {
			lastBody = m.Body
			lastSegments, lastEncoding = text.Segments(m.Body)
		}
		c.keys = append(c.keys, m.IdempotencyKey)
		c.salons = append(c.salons, m.SalonID)
		c.customers = append(c.customers, ptr(m.CustomerID))
		c.appointments = append(c.appointments, ptr(m.AppointmentID))
		c.campaigns = append(c.campaigns, ptr(m.CampaignID))
		c.categories = append(c.categories, m.Category)
		c.kinds = append(c.kinds, m.Kind)
		c.phones = append(c.phones, m.To)
		c.bodies = append(c.bodies, m.Body)
		c.segments = append(c.segments, int32(lastSegments))
		c.encodings = append(c.encodings, lastEncoding)
		c.waitReasons = append(c.waitReasons, ptr(m.WaitReason))
		var after *time.Time
		if !m.SendAfter.IsZero() {
			after = &m.SendAfter
		}
		c.sendAfter = append(c.sendAfter, after)
	}
	rows, err := s.pool.Query(ctx, `
		INSERT INTO sms_messages (idempotency_key, salon_id, customer_id, appointment_id, campaign_id,
			category, kind, to_phone, body, segments, encoding, wait_reason, send_after)
		SELECT * FROM unnest($1::text[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[],
			$6::text[], $7::text[], $8::text[], $9::text[], $10::int[], $11::text[], $12::text[], $13::timestamptz[])
		ON CONFLICT (idempotency_key) DO NOTHING
		RETURNING id`,
		c.keys, c.salons, c.customers, c.appointments, c.campaigns,
		c.categories, c.kinds, c.phones, c.bodies, c.segments, c.encodings, c.waitReasons, c.sendAfter)
	if err != nil {
		return nil, classify(err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return nil, classify(err)
	}
	return ids, nil
}

// ptr returns nil for the zero value (a NULL array element), else &v.
func ptr[T comparable](v T) *T {
	var zero T
	if v == zero {
		return nil
	}
	return &v
}
