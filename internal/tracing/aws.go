package tracing

import (
	"net/http"

	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
)

// AWSRoute names an AWS SDK request by its operation ("SendEmail",
// "PutObject"), which the SDK keeps in the request's context. Paths are
// left out: an S3 path holds the object key.
func AWSRoute(req *http.Request) string {
	return awsmiddleware.GetOperationName(req.Context())
}
