package sesevents

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
	"time"
)

// The SNS message types.
const (
	TypeNotification             = "Notification"
	TypeSubscriptionConfirmation = "SubscriptionConfirmation"
	TypeUnsubscribeConfirmation  = "UnsubscribeConfirmation"
)

// Envelope is an SNS HTTP(S) delivery: the JSON body SNS posts.
type Envelope struct {
	Type             string
	MessageID        string `json:"MessageId"`
	Token            string
	TopicArn         string
	Subject          *string
	Message          string
	SubscribeURL     string
	Timestamp        string
	SignatureVersion string
	Signature        string
	SigningCertURL   string
}

// StringToSign returns the text SNS signed: the fields of e's type, each
// name and value on its own line, in SNS's order. Subject is signed only
// when the notification has one.
func (e *Envelope) StringToSign() (string, error) {
	var b strings.Builder
	add := func(name, value string) {
		b.WriteString(name)
		b.WriteByte('\n')
		b.WriteString(value)
		b.WriteByte('\n')
	}
	switch e.Type {
	case TypeNotification:
		add("Message", e.Message)
		add("MessageId", e.MessageID)
		if e.Subject != nil {
			add("Subject", *e.Subject)
		}
		add("Timestamp", e.Timestamp)
		add("TopicArn", e.TopicArn)
		add("Type", e.Type)
	case TypeSubscriptionConfirmation, TypeUnsubscribeConfirmation:
		add("Message", e.Message)
		add("MessageId", e.MessageID)
		add("SubscribeURL", e.SubscribeURL)
		add("Timestamp", e.Timestamp)
		add("Token", e.Token)
		add("TopicArn", e.TopicArn)
		add("Type", e.Type)
	default:
		return "", fmt.Errorf("%w: message type %q", ErrRefused, e.Type)
	}
	return b.String(), nil
}

// Verify checks e's signature with key: SignatureVersion 1 is RSA PKCS #1
// v1.5 over SHA1, 2 over SHA256. Errors wrap ErrRefused.
func (e *Envelope) Verify(key *rsa.PublicKey) error {
	text, err := e.StringToSign()
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil || len(sig) == 0 {
		return fmt.Errorf("%w: signature is not base64", ErrRefused)
	}
	var (
		hash   crypto.Hash
		digest []byte
	)
	switch e.SignatureVersion {
	case "1":
		d := sha1.Sum([]byte(text))
		hash, digest = crypto.SHA1, d[:]
	case "2":
		d := sha256.Sum256([]byte(text))
		hash, digest = crypto.SHA256, d[:]
	default:
		return fmt.Errorf("%w: signature version %q", ErrRefused, e.SignatureVersion)
	}
	if err := rsa.VerifyPKCS1v15(key, hash, digest, sig); err != nil {
		return fmt.Errorf("%w: signature does not verify", ErrRefused)
	}
	return nil
}

// Time parses e's Timestamp.
func (e *Envelope) Time() (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, e.Timestamp)
	if err != nil {
		return time.Time{}, fmt.Errorf("%w: timestamp %q", ErrRefused, e.Timestamp)
	}
	return t, nil
}
