package email

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	awsconfig "github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/sesv2"
	"github.com/aws/aws-sdk-go-v2/service/sesv2/types"
	"go.opentelemetry.io/otel/trace"

	"github.com/salonworks/jobs/internal/tracing"
)

// SESConfig is what the SES provider needs beyond the AWS SDK's own chain.
type SESConfig struct {
	// ConfigurationSet names the SES configuration set (delivery events);
	// "" sends without one.
	ConfigurationSet string
	// Endpoint overrides the SES v2 endpoint (SES_ENDPOINT), e.g. an
	// emulator's http://127.0.0.1:8005; "" uses the region's.
	Endpoint string
	// AWS, when not nil, is used instead of config.LoadDefaultConfig's
	// (region and credentials from the environment, profile or role).
	AWS *aws.Config
	// TracerProvider receives a client span per SendEmail made under a
	// traced context; nil traces nothing.
	TracerProvider trace.TracerProvider
}

// SES sends through Amazon SES v2 (sesv2.SendEmail, simple content). The
// SDK's own retries are off: the job layer alone decides what a failure
// means (see Class).
type SES struct {
	client    *sesv2.Client
	configSet string
}

var _ Provider = (*SES)(nil)

// NewSES builds the SES provider. Region and credentials come from the AWS
// SDK's default chain unless c.AWS is set; a missing region is an error
// here rather than on the first email.
func NewSES(ctx context.Context, c SESConfig) (*SES, error) {
	var cfg aws.Config
	if c.AWS != nil {
		cfg = c.AWS.Copy()
	} else {
		var err error
		if cfg, err = awsconfig.LoadDefaultConfig(ctx); err != nil {
			return nil, fmt.Errorf("ses: load AWS configuration: %w", err)
		}
	}
	if cfg.Region == "" {
		return nil, errors.New("ses: no AWS region: set AWS_REGION (or a profile's region)")
	}
	if c.Endpoint != "" {
		if u, err := url.Parse(c.Endpoint); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("ses: SES_ENDPOINT %q is not an http(s) URL", c.Endpoint)
		}
	}
	if !tracing.IsOff(c.TracerProvider) {
		if cfg.HTTPClient == nil {
			cfg.HTTPClient = awshttp.NewBuildableClient()
		}
		cfg.HTTPClient = tracing.Client(cfg.HTTPClient, c.TracerProvider, "ses", tracing.AWSRoute)
	}
	client := sesv2.NewFromConfig(cfg, func(o *sesv2.Options) {
		// One attempt per task attempt: a retry inside the SDK would
		// resend an email whose first answer was merely lost.
		o.Retryer = aws.NopRetryer{}
		if c.Endpoint != "" {
			o.BaseEndpoint = aws.String(c.Endpoint)
		}
	})
	return &SES{client: client, configSet: c.ConfigurationSet}, nil
}

// Name implements Provider.
func (*SES) Name() string { return "ses" }

// Send implements Provider: one SendEmail call with the subject, HTML and
// text parts, tagged with the template and the outbox row's id (so SES
// events can be matched to rows). Its errors are *SendError.
func (s *SES) Send(ctx context.Context, m Message) (string, error) {
	in := &sesv2.SendEmailInput{
		FromEmailAddress: aws.String(m.From),
		Destination:      &types.Destination{ToAddresses: []string{m.To}},
		Content: &types.EmailContent{Simple: &types.Message{
			Subject: utf8Content(m.Subject),
			Body:    &types.Body{Html: utf8Content(m.HTML), Text: utf8Content(m.Text)},
		}},
		EmailTags: []types.MessageTag{
			{Name: aws.String("template"), Value: aws.String(m.Template)},
			{Name: aws.String("email_id"), Value: aws.String(strconv.FormatInt(m.ID, 10))},
		},
	}
	if s.configSet != "" {
		in.ConfigurationSetName = aws.String(s.configSet)
	}
	out, err := s.client.SendEmail(ctx, in)
	if err != nil {
		return "", classifySES(err)
	}
	if out.MessageId == nil || *out.MessageId == "" {
		// SES answered 200: the email is probably on its way, but without
		// an ID nothing proves it. Never resend.
		return "", &SendError{Class: ClassUnknown, Err: errors.New("SES accepted the request but returned no message ID")}
	}
	return *out.MessageId, nil
}

func utf8Content(s string) *types.Content {
	return &types.Content{Data: aws.String(s), Charset: aws.String("UTF-8")}
}
