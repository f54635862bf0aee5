// Package sesevents closes the email deliverability loop: SES publishes
// each email's events (Send, Delivery, Bounce, Complaint, Reject,
// DeliveryDelay) from the configuration set to an SNS topic, SNS posts
// them to POST /webhooks/ses, and Handler applies them to the outbox
// (outbox.Store.RecordFeedback), matched by the SES message id the Sender
// recorded: bounced and complained addresses get no more email.
//
// Only SNS may post there. A message is accepted when its TopicArn is the
// configured topic, its signature (SignatureVersion 1, SHA1, or 2,
// SHA256) verifies with the certificate named by SigningCertURL, and that
// URL is HTTPS on a host Certificates allows (Amazon SNS's regional
// endpoints unless a test says otherwise): the certificate is trusted
// because TLS proved it came from Amazon's host. Anything else is
// answered 403 before it touches the database or, for a wrong topic or
// host, the network. Each notification acts once, by its SNS MessageId,
// recorded in the same transaction as its effect.
package sesevents
