// Package deploytest holds the deploy kit's drift guard; it has no code of
// its own, only tests that read the deploy files and compare them with the
// code:
//
//   - deploy/compose.yaml: the services, their commands, health checks and
//     start order, and for each an environment that config.LoadFor accepts
//     as production for its command, with only variables that command
//     reads;
//   - the CDK app's synthesized template (deploy/cdk/test.sh synthesizes it
//     and points JOBS_CDK_TEMPLATE at it; without it those tests skip): the
//     same for every container, secrets only from Secrets Manager or SSM,
//     and stopTimeout above SHUTDOWN_TIMEOUT;
//   - the Dockerfile, the Makefile and the tests build the binary with the
//     same flags;
//   - .github/workflows/deploy.yml builds every CPU architecture the task
//     definitions run on, and migrates before it rolls the services.
//
// A variable that a deploy file sets but internal/config does not read fails
// the tests unless it is in the allow-list (allow_test.go), which says why
// each entry is there.
package deploytest
