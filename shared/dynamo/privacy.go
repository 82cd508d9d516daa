package dynamo

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Held is everything the table holds about one email address, item by item.
type Held struct {
	Items []map[string]types.AttributeValue
}

// Find gathers everything the table holds about a canonical email address: the person's
// own items (membership, consent, news state, Stripe customer), their donations and
// subscriptions, the emails sent to them or about them, their links, the offline gifts
// naming them, and their distinct-donor markers.
func (s *Store) Find(ctx context.Context, email string) (Held, error) {
	seen := map[string]bool{}
	var held Held
	add := func(it map[string]types.AttributeValue) {
		k := text(it, "pk") + "|" + text(it, "sk")
		if !seen[k] {
			seen[k] = true
			held.Items = append(held.Items, it)
		}
	}
	// The person's partition.
	p := dynamodb.NewQueryPaginator(s.DB, &dynamodb.QueryInput{
		TableName: aws.String(s.Table), ConsistentRead: aws.Bool(true),
		KeyConditionExpression:    aws.String("pk = :pk"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(personPK(email))},
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return held, fmt.Errorf("query person: %w", err)
		}
		for _, it := range page.Items {
			add(it)
		}
	}
	// Donations and subscriptions, indexed by person.
	if err := s.queryGSI1(ctx, personPK(email), "", func(it map[string]types.AttributeValue) error {
		add(it)
		return nil
	}); err != nil {
		return held, err
	}
	// Items that name the address in an attribute: emails to or about the person, links,
	// offline gifts, Stripe customer links; and the distinct-donor markers (by hash).
	scan := dynamodb.NewScanPaginator(s.DB, &dynamodb.ScanInput{
		TableName: aws.String(s.Table),
		FilterExpression: aws.String("#to = :e OR #data.#email = :e OR subject = :e OR donor_email = :e OR email = :e " +
			"OR sk = :donor"),
		ExpressionAttributeNames:  map[string]string{"#to": "to", "#data": "data", "#email": "email"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":e": str(email), ":donor": str(donorSK(email))},
	})
	for scan.HasMorePages() {
		page, err := scan.NextPage(ctx)
		if err != nil {
			return held, fmt.Errorf("scan: %w", err)
		}
		for _, it := range page.Items {
			add(it)
		}
	}
	sort.Slice(held.Items, func(i, j int) bool {
		return text(held.Items[i], "pk")+text(held.Items[i], "sk") < text(held.Items[j], "pk")+text(held.Items[j], "sk")
	})
	return held, nil
}

func text(it map[string]types.AttributeValue, name string) string {
	if v, ok := it[name].(*types.AttributeValueMemberS); ok {
		return v.Value
	}
	return ""
}

// Erasure is the record an erasure leaves: who (as a hash), when, and what changed.
type Erasure struct {
	EmailHash  string    `dynamodbav:"email_sha256"`
	At         time.Time `dynamodbav:"at"`
	Deleted    int       `dynamodbav:"deleted"`
	Anonymized int       `dynamodbav:"anonymized"`
}

// Erased stands for an erased person's address in the records that keep money.
const Erased = "erased"

// Erase removes what the table holds about an email address: personal items, emails,
// links and markers are deleted; donations, subscriptions and offline gifts keep their
// money but lose their identity (names, address, email); Stripe customer links lose
// the address. The erasure itself is recorded, with a hash of the address only.
func (s *Store) Erase(ctx context.Context, email string) (Erasure, error) {
	held, err := s.Find(ctx, email)
	if err != nil {
		return Erasure{}, err
	}
	sum := sha256.Sum256([]byte(email))
	er := Erasure{EmailHash: hex.EncodeToString(sum[:]), At: s.Now().UTC()}
	at, _ := attrTime(er.At)
	for _, it := range held.Items {
		k := key(text(it, "pk"), text(it, "sk"))
		var err error
		switch text(it, "type") {
		case TypeDonation, TypeSubscription:
			_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(s.Table), Key: k,
				UpdateExpression: aws.String("SET email = :erased, erased_at = :at " +
					"REMOVE first_name, last_name, address, shipping, gsi1pk, gsi1sk"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":erased": str(Erased), ":at": at},
			})
			er.Anonymized++
		case TypeOffline:
			_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
				TableName: aws.String(s.Table), Key: k,
				UpdateExpression:          aws.String("SET erased_at = :at REMOVE donor_name, donor_email"),
				ExpressionAttributeValues: map[string]types.AttributeValue{":at": at},
			})
			er.Anonymized++
		case TypeCustomer:
			if text(it, "pk") != personPK(email) { // CUSTOMER#<id>: the money's link stays
				_, err = s.DB.UpdateItem(ctx, &dynamodb.UpdateItemInput{
					TableName: aws.String(s.Table), Key: k, UpdateExpression: aws.String("SET email = :erased"),
					ExpressionAttributeValues: map[string]types.AttributeValue{":erased": str(Erased)},
				})
				er.Anonymized++
				break
			}
			fallthrough
		default: // member, consent, news state, emails, tokens, portal requests, donor markers
			_, err = s.DB.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String(s.Table), Key: k})
			er.Deleted++
		}
		if err != nil {
			return er, fmt.Errorf("erase %s: %w", text(it, "type"), err)
		}
	}
	rec, err := item(er, "ERASURE#"+er.EmailHash, er.At.Format(time.RFC3339Nano), TypeErasure)
	if err != nil {
		return er, err
	}
	if _, err := s.DB.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.Table), Item: rec}); err != nil {
		return er, fmt.Errorf("record erasure: %w", err)
	}
	return er, nil
}
