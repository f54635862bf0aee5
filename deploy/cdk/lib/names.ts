// Names the Go code defines and this app must repeat exactly. Each has its
// Go source next to it; internal/deploytest reads the synthesized template
// and fails when the two drift apart.

/** The subcommands of `jobs` that the task definitions run (cmd/jobs/main.go). */
export const Command = {
  worker: 'worker',
  scheduler: 'scheduler',
  admin: 'admin',
  migrate: 'migrate',
} as const;

/** The queues (queues/queues.go), in catalogue order, the internal sms_bulk included. */
export const QUEUES = ['emails', 'uploads', 'sync', 'reports', 'sms', 'sms_bulk'] as const;
export type QueueName = (typeof QUEUES)[number];

/** The worker's embedded-metric-format metrics (internal/emf). */
export const Emf = {
  namespace: 'Jobs',
  pending: 'PendingTasks',
  latency: 'QueueLatency',
  environmentDimension: 'Environment',
  queueDimension: 'Queue',
} as const;

/** Where the image puts the binary (Dockerfile). */
export const BINARY = '/usr/local/bin/jobs';

/** The port of HTTP_ADDR: health, metrics, the dashboard and the webhooks. */
export const HTTP_PORT = 8080;

/** Where `jobs admin` takes the SES events SNS posts (sesevents.Path in internal/email/sesevents). */
export const SES_EVENTS_PATH = '/webhooks/ses';
