package reports

import (
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"mime"
	"path"
	"strconv"

	"github.com/jackc/pgx/v5"

	"github.com/salonworks/jobs/internal/storage"
)

// ExportColumns are the columns of an appointments export, in order. Times
// are ISO 8601 in the salon's time zone with its offset
// (2026-03-08T09:30:00-05:00); empty cells are NULLs.
var ExportColumns = []string{
	"appointment_id", "starts_at", "ends_at", "duration_minutes", "status",
	"technician_id", "technician_name", "customer_id", "customer_first_name",
	"customer_last_name", "customer_phone", "customer_email", "completed_at", "created_at",
}

// periodSQL selects a salon's appointments starting within a period of
// local dates ($1 salon, $2 first day, $3 last day), under readTx's time
// zone.
const periodSQL = `a.salon_id = $1 AND a.starts_at >= $2::date::timestamptz AND a.starts_at < ($3::date + 1)::timestamptz`

const isoLocal = `'YYYY-MM-DD"T"HH24:MI:SSTZH:TZM'`

const exportSQL = `
SELECT a.id, to_char(a.starts_at, ` + isoLocal + `), to_char(a.ends_at, ` + isoLocal + `),
       (extract(epoch FROM a.ends_at - a.starts_at) / 60)::bigint, a.status,
       a.technician_id, t.name, a.customer_id, c.first_name, c.last_name, c.phone, c.email,
       to_char(a.completed_at, ` + isoLocal + `), to_char(a.created_at, ` + isoLocal + `)
FROM appointments a
JOIN customers c ON c.id = a.customer_id
LEFT JOIN technicians t ON t.id = a.technician_id
WHERE ` + periodSQL + `
ORDER BY a.starts_at, a.id`

// exportAppointments streams the period's appointments as CSV from one
// query, through a pipe, into one storage upload: rows are never
// collected, so memory stays flat whatever their number.
func (g *Generator) exportAppointments(ctx context.Context, r report, prog *progress) (string, error) {
	key := fmt.Sprintf("reports/%d/%d/appointments_%s_%s.csv", r.SalonID, r.ID, r.From.Format("2006-01-02"), r.To.Format("2006-01-02"))
	err := readTx(ctx, g.DB, r.TimeZone, func(tx pgx.Tx) error {
		var total int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM appointments a WHERE `+periodSQL, r.SalonID, r.From, r.To).Scan(&total); err != nil {
			return fmt.Errorf("count appointments: %w", err)
		}
		prog.set(ctx, 5)
		return g.upload(ctx, key, "text/csv; charset=utf-8", func(w io.Writer) error {
			return writeCSV(ctx, tx, w, r, func(n int64) {
				if total > 0 {
					prog.set(ctx, 5+int(n*94/total))
				}
			})
		})
	})
	if err != nil {
		return "", err
	}
	return key, nil
}

// writeCSV writes the export to w, calling done with the running row
// count every 1,000 rows.
func writeCSV(ctx context.Context, tx pgx.Tx, w io.Writer, r report, done func(int64)) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(ExportColumns); err != nil {
		return err
	}
	rows, err := tx.Query(ctx, exportSQL, r.SalonID, r.From, r.To)
	if err != nil {
		return fmt.Errorf("query appointments: %w", err)
	}
	defer rows.Close()
	var (
		id, customer, minutes                       int64
		starts, ends, status, first, phone          string
		tech                                        *int64
		techName, last, email, completed, createdAt *string
		n                                           int64
		rec                                         = make([]string, len(ExportColumns))
	)
	for rows.Next() {
		if err := rows.Scan(&id, &starts, &ends, &minutes, &status, &tech, &techName, &customer, &first, &last, &phone, &email, &completed, &createdAt); err != nil {
			return fmt.Errorf("read appointment: %w", err)
		}
		rec[0], rec[1], rec[2], rec[3], rec[4] = strconv.FormatInt(id, 10), starts, ends, strconv.FormatInt(minutes, 10), status
		rec[5], rec[6], rec[7] = optInt(tech), cell(deref(techName)), strconv.FormatInt(customer, 10)
		rec[8], rec[9], rec[10], rec[11] = cell(first), cell(deref(last)), phone, cell(deref(email))
		rec[12], rec[13] = deref(completed), deref(createdAt)
		if err := cw.Write(rec); err != nil {
			return err
		}
		if n++; n%1000 == 0 {
			done(n)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("read appointments: %w", err)
	}
	cw.Flush()
	done(n)
	return cw.Error()
}

// cell defuses free text that a spreadsheet would run as a formula (CSV
// injection): a leading =, +, -, @, tab or CR gets a quote in front.
func cell(s string) string {
	if s != "" {
		switch s[0] {
		case '=', '+', '-', '@', '\t', '\r':
			return "'" + s
		}
	}
	return s
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func optInt(v *int64) string {
	if v == nil {
		return ""
	}
	return strconv.FormatInt(*v, 10)
}

// upload runs write into a pipe whose other end is one storage Put, so
// what write produces streams to storage as it comes. A failure on
// either side stops the other: a failed write aborts the upload (no
// partial object), a failed upload fails the next write.
func (g *Generator) upload(ctx context.Context, key, ctype string, write func(io.Writer) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	pr, pw := io.Pipe()
	putErr := make(chan error, 1)
	go func() {
		err := g.Storage.Put(ctx, key, pr, storage.PutOptions{
			ContentType:        ctype,
			ContentDisposition: attachment(key),
		})
		if err != nil {
			// Fails the writer's next write, so the query stops too.
			pr.CloseWithError(fmt.Errorf("storage: %w", err))
		}
		putErr <- err
	}()
	werr := write(pw)
	if werr != nil {
		cancel()
	}
	pw.CloseWithError(werr)
	if perr := <-putErr; perr != nil && werr == nil {
		return fmt.Errorf("store %s: %w", key, perr)
	}
	return werr
}

// attachment is the Content-Disposition of a report: a download named
// after the key's last segment.
func attachment(key string) string {
	return mime.FormatMediaType("attachment", map[string]string{"filename": path.Base(key)})
}
