// Package config reads the daemon's configuration from the environment
// (docs/design.md, "Configuration"). LoadFor parses and validates the variables one subcommand uses (the
// table in commands.go) without connecting anywhere, and reports every
// problem at once; the methods on Config turn it into the connection
// settings the other packages need.
//
// The struct tags follow github.com/kelseyhightower/envconfig (envconfig,
// default, desc), plus a few of this package's own:
//
//	dev_default    the value used when APP_ENV is development or test
//	dev_unless     comma-separated variables whose presence cancels dev_default
//	required_when  when the variable is required, in words ("" when never)
//	secret         value, url (the password inside the URL) or admin (the hashes)
//
// envconfig.Process is not used to load: it reads the process environment
// and stops at the first error, while Load takes a lookup function and
// collects every problem.
package config

import (
	"log/slog"
	"time"

	"github.com/salonworks/jobs/queues"
)

// Config is the daemon's whole configuration, one field per environment
// variable. Build it with Load; the zero value is not valid.
type Config struct {
	// Postgres. RawDatabaseURL is DATABASE_URL as given; use the DatabaseURL
	// method, which also covers the DATABASE_* parts.
	RawDatabaseURL      string `envconfig:"DATABASE_URL" secret:"url" required_when:"in production or staging, unless the DATABASE_* parts are set" desc:"Postgres URL (postgres:// or postgresql://); replaces the DATABASE_* parts"`
	DatabaseUsername    string `envconfig:"DATABASE_USERNAME" dev_default:"postgres" dev_unless:"DATABASE_URL,DATABASE_ADDRESS" required_when:"DATABASE_URL is empty" desc:"Postgres user"`
	DatabasePassword    string `envconfig:"DATABASE_PASSWORD" secret:"value" desc:"Postgres password; any character, escaped for you"`
	DatabaseAddress     string `envconfig:"DATABASE_ADDRESS" dev_default:"127.0.0.1" dev_unless:"DATABASE_URL,DATABASE_ADDRESS" required_when:"DATABASE_URL is empty" desc:"Postgres host name or IP, without port"`
	DatabasePort        int    `envconfig:"DATABASE_PORT" default:"5432" desc:"Postgres port"`
	DatabaseName        string `envconfig:"DATABASE_NAME" dev_default:"jobs" dev_unless:"DATABASE_URL,DATABASE_ADDRESS" required_when:"DATABASE_URL is empty" desc:"Postgres database"`
	DatabaseSSLMode     string `envconfig:"DATABASE_SSLMODE" dev_default:"disable" dev_unless:"DATABASE_URL,DATABASE_ADDRESS" desc:"disable, allow, prefer, require, verify-ca or verify-full (RDS: verify-full)"`
	DatabaseSSLRootCert string `envconfig:"DATABASE_SSLROOTCERT" desc:"path of the CA bundle for verify-ca/verify-full (RDS global bundle)"`

	// Redis.
	RedisURL                 string `envconfig:"REDIS_URL" secret:"url" required_when:"in production or staging, unless REDIS_HOST is set" desc:"Redis URL (redis:// or rediss:// for TLS); replaces the REDIS_* parts"`
	RedisHost                string `envconfig:"REDIS_HOST" dev_default:"127.0.0.1" dev_unless:"REDIS_URL,REDIS_HOST" required_when:"REDIS_URL is empty" desc:"Redis host name or IP, without port"`
	RedisPort                int    `envconfig:"REDIS_PORT" default:"6379" desc:"Redis port"`
	RedisPassword            string `envconfig:"REDIS_PASSWORD" secret:"value" desc:"Redis password (AUTH token)"`
	RedisDB                  int    `envconfig:"REDIS_DB" default:"0" desc:"Redis database, 0 to 15"`
	RedisTLS                 bool   `envconfig:"REDIS_TLS" default:"false" desc:"connect to Redis over TLS 1.2+ (ElastiCache in-transit encryption)"`
	RedisStreamConsumerGroup string `envconfig:"REDIS_STREAM_CONSUMER_GROUP" default:"jobs-workers" desc:"consumer group of the jobs:ingest stream"`
	IngestEnabled            bool   `envconfig:"INGEST_ENABLED" default:"true" desc:"run the ingest bridge (Redis Stream jobs:ingest to the queues) in jobs worker and jobs dev"`

	// Process.
	AppEnv          string        `envconfig:"APP_ENV" default:"production" desc:"production, staging, development or test; development and test get local defaults"`
	HTTPAddr        string        `envconfig:"HTTP_ADDR" default:":8080" desc:"listen address of health, metrics and admin"`
	LogLevel        string        `envconfig:"LOG_LEVEL" default:"info" desc:"debug, info, warn or error"`
	LogFormat       string        `envconfig:"LOG_FORMAT" default:"json" desc:"json or text"`
	WorkerQueues    string        `envconfig:"WORKER_QUEUES" desc:"comma-separated queues this worker serves (emails, uploads, sync, reports, sms); empty: all"`
	ShutdownTimeout time.Duration `envconfig:"SHUTDOWN_TIMEOUT" default:"30s" desc:"grace period for in-flight tasks after SIGTERM; at most 110s (ECS stopTimeout is 120s at most)"`
	ScheduleFile    string        `envconfig:"SCHEDULE_FILE" desc:"YAML file replacing or extending the built-in schedules"`
	PublicBaseURL   string        `envconfig:"PUBLIC_BASE_URL" required_when:"SMS_PROVIDER=twilio in production or staging" desc:"public http(s) origin of this service, for Twilio callbacks and email links"`

	// SMS.
	SMSProvider                string  `envconfig:"SMS_PROVIDER" dev_default:"log" required_when:"jobs worker and jobs dev, in production or staging" desc:"twilio or log (log only sends to the log)"`
	TwilioAPIBase              string  `envconfig:"TWILIO_API_BASE" default:"https://api.twilio.com" desc:"Twilio API origin (tests point it at a fake)"`
	TwilioAccountSID           string  `envconfig:"TWILIO_ACCOUNT_SID" required_when:"SMS_PROVIDER=twilio" desc:"Twilio account SID (AC...)"`
	TwilioAuthToken            string  `envconfig:"TWILIO_AUTH_TOKEN" secret:"value" required_when:"SMS_PROVIDER=twilio" desc:"Twilio auth token; also checks webhook signatures"`
	TwilioMessagingServiceSID  string  `envconfig:"TWILIO_MESSAGING_SERVICE_SID" required_when:"SMS_PROVIDER=twilio and TWILIO_FROM is empty" desc:"Twilio messaging service SID (MG...) to send from"`
	TwilioFrom                 string  `envconfig:"TWILIO_FROM" required_when:"SMS_PROVIDER=twilio and TWILIO_MESSAGING_SERVICE_SID is empty" desc:"sender number in E.164 (+15551234567)"`
	SMSRatePerSecond           float64 `envconfig:"SMS_RATE_PER_SECOND" default:"1" desc:"SMS per second per sender, across all workers"`
	SMSQuietHours              string  `envconfig:"SMS_QUIET_HOURS" default:"08:00-21:00" desc:"HH:MM-HH:MM window, recipient's local time, in which marketing and review SMS may go out"`
	SMSQuietHoursTransactional bool    `envconfig:"SMS_QUIET_HOURS_TRANSACTIONAL" default:"false" desc:"also hold confirmations and other transactional SMS to the SMS_QUIET_HOURS window"`

	// Email.
	EmailProvider       string `envconfig:"EMAIL_PROVIDER" dev_default:"log" required_when:"jobs worker and jobs dev, in production or staging" desc:"ses or log (log only writes to the log)"`
	EmailFrom           string `envconfig:"EMAIL_FROM" required_when:"EMAIL_PROVIDER=ses" desc:"sender address, like Salon <no-reply@example.com>"`
	SESEndpoint         string `envconfig:"SES_ENDPOINT" desc:"SES v2 endpoint override (emulator); region and credentials come from the AWS SDK"`
	SESConfigurationSet string `envconfig:"SES_CONFIGURATION_SET" desc:"SES configuration set for delivery events"`
	SESEventsTopicARN   string `envconfig:"SES_EVENTS_TOPIC_ARN" desc:"SNS topic of the configuration set's events; POST /webhooks/ses accepts only its messages (empty: refuses all)"`
	SESEventsCertHosts  string `envconfig:"SES_EVENTS_CERT_HOSTS" default:"sns.*.amazonaws.com" desc:"host pattern (* is one DNS label) of SNS signing certificate and SubscribeURL links; only development and test may change it"`

	// Storage.
	Storage         string `envconfig:"STORAGE" dev_default:"local" required_when:"jobs worker and jobs dev, in production or staging" desc:"s3 or local"`
	S3Bucket        string `envconfig:"S3_BUCKET" required_when:"STORAGE=s3" desc:"bucket for uploads and reports"`
	S3Endpoint      string `envconfig:"S3_ENDPOINT" desc:"S3 endpoint override (fake or MinIO)"`
	LocalStorageDir string `envconfig:"LOCAL_STORAGE_DIR" default:"./data/storage" desc:"directory for STORAGE=local"`

	// Platform API, for sync:api_call.
	APIBaseURL string `envconfig:"API_BASE_URL" desc:"origin of the platform API that sync:api_call calls"`
	APIKey     string `envconfig:"API_KEY" secret:"value" required_when:"API_BASE_URL is set, in production or staging" desc:"key sync:api_call authenticates with"`

	// Admin.
	AdminUsers        string `envconfig:"ADMIN_USERS" secret:"admin" required_when:"jobs admin in production or staging" desc:"comma-separated name:role:bcrypt-hash, role admin or viewer (write $$ for $ in compose files)"`
	PrometheusURL     string `envconfig:"PROMETHEUS_URL" desc:"Prometheus the dashboard reads charts from"`
	AllowLogProviders bool   `envconfig:"ALLOW_LOG_PROVIDERS" default:"false" desc:"let jobs worker use SMS_PROVIDER=log, EMAIL_PROVIDER=log and STORAGE=local in production or staging"`

	// Metrics.
	MetricsEMF bool `envconfig:"METRICS_EMF" default:"false" desc:"jobs worker also writes each queue's pending count and latency to the log once a minute in CloudWatch's embedded metric format (ECS scales the workers on it)"`

	// Tracing: the OpenTelemetry SDK's standard variables, passed through.
	// The SDK reads the others itself (OTEL_EXPORTER_OTLP_HEADERS,
	// OTEL_EXPORTER_OTLP_TIMEOUT, OTEL_RESOURCE_ATTRIBUTES, OTEL_BSP_*).
	OTelSDKDisabled         bool   `envconfig:"OTEL_SDK_DISABLED" default:"false" desc:"true turns tracing off whatever else is set"`
	OTelTracesExporter      string `envconfig:"OTEL_TRACES_EXPORTER" desc:"otlp or none; empty: otlp when an OTLP endpoint is set, else none (tracing off, no cost)"`
	OTelEndpoint            string `envconfig:"OTEL_EXPORTER_OTLP_ENDPOINT" desc:"OTLP/HTTP collector base URL, like http://localhost:4318 (spans go to /v1/traces)"`
	OTelTracesEndpoint      string `envconfig:"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT" desc:"full OTLP/HTTP URL for spans; wins over OTEL_EXPORTER_OTLP_ENDPOINT"`
	OTelProtocol            string `envconfig:"OTEL_EXPORTER_OTLP_PROTOCOL" desc:"http/protobuf, the only one built in; empty is http/protobuf"`
	OTelServiceName         string `envconfig:"OTEL_SERVICE_NAME" default:"jobs" desc:"service.name of the spans"`
	OTelTracesSampler       string `envconfig:"OTEL_TRACES_SAMPLER" default:"parentbased_always_on" desc:"always_on, always_off, traceidratio or their parentbased_ forms"`
	OTelTracesSamplerArg    string `envconfig:"OTEL_TRACES_SAMPLER_ARG" desc:"the ratio of traceidratio samplers, 0 to 1"`
	OTelExporterOTLPHeaders string `envconfig:"OTEL_EXPORTER_OTLP_HEADERS" secret:"value" desc:"key=value,... headers of every export (a vendor's API key); read by the SDK"`
}

// App environments (APP_ENV).
const (
	EnvProduction  = "production"
	EnvStaging     = "staging"
	EnvDevelopment = "development"
	EnvTest        = "test"
)

// Development reports whether APP_ENV is development or test: local
// defaults apply and the log providers are allowed.
func (c *Config) Development() bool {
	return c.AppEnv == EnvDevelopment || c.AppEnv == EnvTest
}

// Queues returns the queues WORKER_QUEUES selects: all of them when it is
// empty. Load has validated it; an invalid value of a hand-built Config
// selects none.
func (c *Config) Queues() []queues.Queue {
	qs, err := queues.Select(c.WorkerQueues)
	if err != nil {
		return nil
	}
	return qs
}

// SlogLevel returns LOG_LEVEL as a slog level; anything Load would refuse
// reads as info.
func (c *Config) SlogLevel() slog.Level {
	switch c.LogLevel {
	case "debug":
		return slog.LevelDebug
	case "warn":
		return slog.LevelWarn
	case "error":
		return slog.LevelError
	default:
		return slog.LevelInfo
	}
}
