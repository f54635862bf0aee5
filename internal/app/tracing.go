package app

import (
	"context"

	"github.com/salonworks/jobs/internal/config"
	"github.com/salonworks/jobs/internal/tracing"
	"github.com/salonworks/jobs/internal/version"
)

// Tracing returns the tracer provider the OTEL_* variables of cfg
// configure: the no-op one when none names an exporter.
func Tracing(ctx context.Context, cfg *config.Config) (*tracing.Provider, error) {
	return tracing.Setup(ctx, TracingSettings(cfg))
}

// TracingSettings picks the OTEL_* variables out of cfg.
func TracingSettings(cfg *config.Config) tracing.Settings {
	return tracing.Settings{
		SDKDisabled:    cfg.OTelSDKDisabled,
		Exporter:       cfg.OTelTracesExporter,
		Endpoint:       cfg.OTelEndpoint,
		TracesEndpoint: cfg.OTelTracesEndpoint,
		Protocol:       cfg.OTelProtocol,
		ServiceName:    cfg.OTelServiceName,
		Sampler:        cfg.OTelTracesSampler,
		SamplerArg:     cfg.OTelTracesSamplerArg,
		Version:        version.Version,
	}
}
