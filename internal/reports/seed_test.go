package reports_test

import "time"

// seeded is a salon in New York whose March 2026 holds the cases an export
// must get right: the switch to daylight saving time (8 March), days at
// both ends of the period in local time, customers whose names a
// spreadsheet would run as formulas or that need quoting, an appointment
// without a technician, and another salon's appointments.
type seeded struct {
	salon, other     int64
	ana, ben, zoe    int64
	appointmentCount int
}

func (f *fixture) seed() seeded {
	f.t.Helper()
	var s seeded
	s.salon = f.id(`INSERT INTO salons (name, timezone) VALUES ('Brooklyn Nails', 'America/New_York') RETURNING id`)
	s.other = f.id(`INSERT INTO salons (name, timezone) VALUES ('Other Salon', 'Europe/Lisbon') RETURNING id`)
	s.ana = f.id(`INSERT INTO technicians (salon_id, name) VALUES ($1, 'Ana Lima') RETURNING id`, s.salon)
	s.ben = f.id(`INSERT INTO technicians (salon_id, name) VALUES ($1, 'Ben Okafor') RETURNING id`, s.salon)
	s.zoe = f.id(`INSERT INTO technicians (salon_id, name) VALUES ($1, 'Zoë Ørsted') RETURNING id`, s.salon)
	customer := func(salon int64, first string, last any, phone string, email any) int64 {
		return f.id(`INSERT INTO customers (salon_id, first_name, last_name, phone, email) VALUES ($1, $2, $3, $4, $5) RETURNING id`,
			salon, first, last, phone, email)
	}
	c1 := customer(s.salon, "Maria", "Gonzalez", "+15555550101", "maria@example.com")
	c2 := customer(s.salon, "=HYPERLINK(\"http://evil.example\")", "Smith, Jr.", "+15555550102", nil)
	c3 := customer(s.salon, "Dana", nil, "+15555550103", "-dana@example.com")
	c4 := customer(s.salon, "Li \"Lily\"", "Chen", "+15555550104", "lily@example.com")
	o1 := customer(s.other, "Other", "Customer", "+351912345678", nil)

	created := time.Date(2026, 2, 20, 15, 0, 0, 0, time.UTC)
	appt := func(salon, customer int64, tech any, starts string, minutes int, status string) {
		st, err := time.Parse(time.RFC3339, starts)
		if err != nil {
			f.t.Fatal(err)
		}
		var completed any
		if status == "completed" {
			completed = st.Add(time.Duration(minutes+5) * time.Minute)
		}
		f.id(`INSERT INTO appointments (salon_id, customer_id, technician_id, starts_at, ends_at, status, completed_at, created_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			salon, customer, tech, st, st.Add(time.Duration(minutes)*time.Minute), status, completed, created)
		if salon == s.salon {
			s.appointmentCount++
		}
	}
	// 23:30 on 28 February in New York: outside a March period.
	appt(s.salon, c1, s.ana, "2026-03-01T04:30:00Z", 60, "completed")
	// 00:00 on 1 March in New York: the first minute of the period.
	appt(s.salon, c1, s.ana, "2026-03-01T05:00:00Z", 45, "completed")
	appt(s.salon, c2, s.ben, "2026-03-02T15:00:00Z", 90, "no_show")
	appt(s.salon, c3, nil, "2026-03-07T17:30:00Z", 30, "cancelled")
	// 8 March: EST until 02:00, EDT after.
	appt(s.salon, c4, s.ana, "2026-03-08T06:30:00Z", 60, "completed") // 01:30 EST
	appt(s.salon, c1, s.ben, "2026-03-08T14:00:00Z", 60, "completed") // 10:00 EDT
	appt(s.salon, c2, s.zoe, "2026-03-08T15:00:00Z", 120, "completed")
	appt(s.salon, c3, s.ana, "2026-03-15T13:00:00Z", 60, "completed")
	appt(s.salon, c4, s.ben, "2026-03-20T22:00:00Z", 60, "cancelled")
	appt(s.salon, c1, s.ana, "2026-03-31T20:00:00Z", 60, "confirmed")
	// 23:59 on 31 March in New York: the last minute of the period.
	appt(s.salon, c2, s.zoe, "2026-04-01T03:59:00Z", 30, "booked")
	// 00:00 on 1 April in New York: outside.
	appt(s.salon, c3, s.ana, "2026-04-01T04:00:00Z", 30, "booked")
	appt(s.other, o1, nil, "2026-03-10T10:00:00Z", 60, "completed")
	return s
}
