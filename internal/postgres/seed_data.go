package postgres

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// The demo salon's fixed natural keys and contents; Seed's doc comment
// describes them for people, and must change with them.
const (
	demoSalonName   = "Demo Salon"
	demoSalonPhone  = "+15555550100"
	demoTimezone    = "America/New_York"
	demoReviewLink  = "https://example.com/demo-salon/review"
	demoCampaign    = "Demo spring offer"
	demoCampaignMsg = "Demo Salon: 20% off gel manicures this week. Book at https://example.com/demo-salon"
)

var demoTechnicians = []struct {
	name  string
	turns int
}{
	{"Alex Rivera", 2},
	{"Sam Chen", 1},
	{"Jordan Lee", 0},
}

type demoCustomer struct {
	first, last, phone string
	consent            bool
	optedOutAgo        time.Duration // zero: not opted out
}

var demoCustomers = []demoCustomer{
	{"Maria", "Garcia", "+15555550101", true, 0},
	{"James", "Smith", "+15555550102", true, 0},
	{"Aisha", "Khan", "+15555550103", true, 0},
	{"Wei", "Zhang", "+15555550104", true, 0},
	{"Olivia", "Brown", "+15555550105", true, 0},
	{"Liam", "Johnson", "+15555550106", false, 0},
	{"Sofia", "Rossi", "+15555550107", false, 0},
	{"Noah", "Wilson", "+15555550108", true, 7 * 24 * time.Hour},
}

// demoAppointments holds one appointment per customer (the customer is its
// natural key). Offsets are from now; an appointment lasts an hour and a
// completed one was completed when it ended.
var demoAppointments = []struct {
	phone      string
	technician int // index into demoTechnicians
	status     string
	startsIn   time.Duration
}{
	{"+15555550101", 0, "booked", 2 * time.Hour},
	{"+15555550102", 1, "booked", 5 * time.Hour},
	{"+15555550108", 2, "booked", 20 * time.Hour},
	{"+15555550103", 0, "booked", 72 * time.Hour},
	{"+15555550104", 1, "completed", -2 * time.Hour},
	{"+15555550106", 2, "completed", -(3*time.Hour + 30*time.Minute)},
	{"+15555550105", 0, "completed", -49 * time.Hour},
	{"+15555550107", 1, "cancelled", 6 * time.Hour},
}

const appointmentLength = time.Hour

func (s *seeder) run(ctx context.Context) error {
	// One seed at a time per schema, so find-then-insert cannot race.
	if _, err := s.tx.Exec(ctx,
		"SELECT pg_advisory_xact_lock(hashtext('salonworks/jobs seed ' || coalesce(current_schema(), '')))"); err != nil {
		return fmt.Errorf("lock: %w", err)
	}
	salonID, created, err := s.ensure(ctx,
		"SELECT id FROM salons WHERE name = $1 AND phone = $2 ORDER BY id LIMIT 1", []any{demoSalonName, demoSalonPhone},
		"INSERT INTO salons (name, phone, timezone, review_link) VALUES ($1, $2, $3, $4) RETURNING id",
		[]any{demoSalonName, demoSalonPhone, demoTimezone, demoReviewLink})
	if err != nil {
		return fmt.Errorf("salon: %w", err)
	}
	s.report.SalonID = salonID
	s.tally(created, func(c *SeedCounts) *int { return &c.Salons })

	techIDs := make([]int64, len(demoTechnicians))
	for i, t := range demoTechnicians {
		id, created, err := s.ensure(ctx,
			"SELECT id FROM technicians WHERE salon_id = $1 AND name = $2 ORDER BY id LIMIT 1", []any{salonID, t.name},
			"INSERT INTO technicians (salon_id, name) VALUES ($1, $2) RETURNING id", []any{salonID, t.name})
		if err != nil {
			return fmt.Errorf("technician %s: %w", t.name, err)
		}
		techIDs[i] = id
		s.tally(created, func(c *SeedCounts) *int { return &c.Technicians })

		tag, err := s.tx.Exec(ctx, `
			INSERT INTO technician_queue (salon_id, technician_id, position, turns_taken, checked_in_at)
			VALUES ($1, $2, $3, $4, $5)
			ON CONFLICT (salon_id, technician_id) DO NOTHING`,
			salonID, id, i+1, t.turns, s.now.Add(-2*time.Hour))
		if err != nil {
			return fmt.Errorf("queue entry of %s: %w", t.name, err)
		}
		s.tally(tag.RowsAffected() == 1, func(c *SeedCounts) *int { return &c.QueueEntries })
	}

	customerIDs := make(map[string]int64, len(demoCustomers))
	for _, c := range demoCustomers {
		var optedOut *time.Time
		if c.optedOutAgo > 0 {
			t := s.now.Add(-c.optedOutAgo)
			optedOut = &t
		}
		id, created, err := s.ensure(ctx,
			"SELECT id FROM customers WHERE salon_id = $1 AND phone = $2", []any{salonID, c.phone},
			`INSERT INTO customers (salon_id, first_name, last_name, phone, email, marketing_consent, sms_opted_out_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			[]any{salonID, c.first, c.last, c.phone, strings.ToLower(c.first) + "@example.com", c.consent, optedOut})
		if err != nil {
			return fmt.Errorf("customer %s: %w", c.phone, err)
		}
		customerIDs[c.phone] = id
		s.tally(created, func(c *SeedCounts) *int { return &c.Customers })
	}

	for _, a := range demoAppointments {
		starts := s.now.Add(a.startsIn)
		ends := starts.Add(appointmentLength)
		var completed *time.Time
		if a.status == "completed" {
			completed = &ends
		}
		customerID := customerIDs[a.phone]
		_, created, err := s.ensure(ctx,
			"SELECT id FROM appointments WHERE salon_id = $1 AND customer_id = $2 ORDER BY id LIMIT 1",
			[]any{salonID, customerID},
			`INSERT INTO appointments (salon_id, customer_id, technician_id, starts_at, ends_at, status, completed_at)
			 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			[]any{salonID, customerID, techIDs[a.technician], starts, ends, a.status, completed})
		if err != nil {
			return fmt.Errorf("appointment of %s: %w", a.phone, err)
		}
		s.tally(created, func(c *SeedCounts) *int { return &c.Appointments })
	}

	_, created, err = s.ensure(ctx,
		"SELECT id FROM campaigns WHERE salon_id = $1 AND name = $2 ORDER BY id LIMIT 1", []any{salonID, demoCampaign},
		"INSERT INTO campaigns (salon_id, name, body, send_at) VALUES ($1, $2, $3, $4) RETURNING id",
		[]any{salonID, demoCampaign, demoCampaignMsg, s.now.Add(-time.Minute)})
	if err != nil {
		return fmt.Errorf("campaign: %w", err)
	}
	s.tally(created, func(c *SeedCounts) *int { return &c.Campaigns })
	return nil
}
