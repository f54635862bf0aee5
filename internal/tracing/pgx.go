package tracing

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/internal/redact"
)

// maxQueryText bounds the SQL kept on a span.
const maxQueryText = 2000

// PgxTracer is a pgx.QueryTracer that gives each statement run under a
// traced context a client span: the operation (SELECT, UPDATE…) and the
// SQL with its placeholders, never the arguments. Statements outside a
// trace (background passes, pool health checks) add no span.
//
// Written here rather than taken from exaring/otelpgx: it is the one
// interface method pair, and that module records arguments on request.
type PgxTracer struct {
	tracer trace.Tracer
}

var _ pgx.QueryTracer = (*PgxTracer)(nil)

// NewPgxTracer returns the tracer of tp's spans for a pgx.ConnConfig.
func NewPgxTracer(tp trace.TracerProvider) *PgxTracer {
	return &PgxTracer{tracer: Tracer(tp)}
}

// TraceQueryStart implements pgx.QueryTracer.
func (t *PgxTracer) TraceQueryStart(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryStartData) context.Context {
	if !trace.SpanContextFromContext(ctx).IsValid() {
		return ctx
	}
	op := operation(data.SQL)
	text := data.SQL
	if len(text) > maxQueryText {
		text = text[:maxQueryText]
	}
	ctx, span := t.tracer.Start(ctx, "postgres "+op, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(
			attribute.String("db.system.name", "postgresql"),
			attribute.String("db.operation.name", op),
			attribute.String("db.query.text", redact.Text(text)),
		))
	// Marked so TraceQueryEnd never ends a span it did not start (the
	// task's, when this statement was not traced).
	return context.WithValue(ctx, pgxSpanKey{}, span)
}

type pgxSpanKey struct{}

// TraceQueryEnd implements pgx.QueryTracer.
func (t *PgxTracer) TraceQueryEnd(ctx context.Context, _ *pgx.Conn, data pgx.TraceQueryEndData) {
	span, ok := ctx.Value(pgxSpanKey{}).(trace.Span)
	if !ok {
		return
	}
	if data.Err != nil {
		// A driver's error may quote a value; the span keeps its class.
		span.SetStatus(codes.Error, "statement failed")
	} else {
		span.SetAttributes(attribute.Int64("db.response.rows_affected", data.CommandTag.RowsAffected()))
	}
	span.End()
}

// operation is the statement's first keyword, upper-cased; a WITH query is
// named by its main statement's keyword only when that is easy to see, so
// it stays "WITH".
func operation(sql string) string {
	sql = strings.TrimSpace(sql)
	for strings.HasPrefix(sql, "--") {
		_, rest, _ := strings.Cut(sql, "\n")
		sql = strings.TrimSpace(rest)
	}
	end := strings.IndexFunc(sql, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' || r == '(' || r == ';' })
	if end < 0 {
		end = len(sql)
	}
	if end == 0 {
		return "SQL"
	}
	return strings.ToUpper(sql[:end])
}
