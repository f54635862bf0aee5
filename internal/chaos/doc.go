// Package chaos is the SMS recovery chaos suite: a campaign sent by the real
// sms handlers, worker and reconciler, on real Postgres and Redis, against a
// Twilio stand-in that follows Twilio's Messages API, while faults are
// injected: Twilio storms (latency, 5xx, 429, accepted-then-dropped
// answers), worker crashes mid-send simulated in process, a Redis restart
// without persistence, a Postgres outage and a failover between claim and
// send through a TCP proxy. Each of those runs twice: on the catalogue's
// sms queues, served by an asynq server each, and on the same queues made
// wide enough to be served by the worker's batch fetcher. One scenario
// runs the jobs binary itself as the
// worker, at production intervals, and kills it with SIGKILL three times.
// Each scenario reports the messages at the stand-in, duplicates, texts
// never sent, rows not final, texts to customers who must get none or in
// quiet hours, and the time to settle.
//
// `make chaos` runs every scenario at full size; `make test` runs a short
// form (go test -short).
package chaos
