# syntax=docker/dockerfile:1
# One image for every role; the ECS task definition (or compose) picks the
# subcommand: jobs worker | scheduler | admin | migrate.
# Multi-arch: docker buildx build --platform linux/amd64,linux/arm64 .

FROM --platform=$BUILDPLATFORM golang:1.26-bookworm AS build
ARG TARGETOS TARGETARCH
ARG VERSION=dev
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
# The same flags as `make build`, which the tests build with.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -ldflags "-s -w -X github.com/salonworks/jobs/internal/version.Version=${VERSION}" \
    -o /out/jobs ./cmd/jobs

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/jobs /usr/local/bin/jobs
USER nonroot:nonroot
ENV HTTP_ADDR=:8080 LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=15s --timeout=5s --start-period=20s --retries=3 CMD ["/usr/local/bin/jobs", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/jobs"]
CMD ["worker"]
