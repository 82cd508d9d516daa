package staff

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/aws/aws-sdk-go-v2/feature/dynamodb/attributevalue"

	"github.com/solidarity/solidarity/shared/contact"
	"github.com/solidarity/solidarity/shared/dynamo"
)

// Privacy is what privacy requests need of the table.
type Privacy interface {
	Find(ctx context.Context, email string) (dynamo.Held, error)
	Erase(ctx context.Context, email string) (dynamo.Erasure, error)
}

func privacy(ctx context.Context, store Store, action string, args []string, out io.Writer) error {
	fs := newFlags("privacy " + action)
	email := fs.String("email", "", "")
	confirm := fs.Bool("confirm", false, "")
	if err := fs.Parse(args); err != nil || *email == "" {
		return fmt.Errorf("%w: -email is required", ErrUsage)
	}
	addr := contact.CanonicalEmail(*email)
	switch action {
	case "find":
		held, err := store.Find(ctx, addr)
		if err != nil {
			return err
		}
		items := make([]map[string]any, 0, len(held.Items))
		for _, it := range held.Items {
			var m map[string]any
			if err := attributevalue.UnmarshalMap(it, &m); err != nil {
				return err
			}
			items = append(items, m)
		}
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return enc.Encode(map[string]any{"email": addr, "items": items})
	case "erase":
		if !*confirm {
			return fmt.Errorf("%w: erasing cannot be undone; run `staff privacy find` first, then add -confirm", ErrUsage)
		}
		er, err := store.Erase(ctx, addr)
		if err != nil {
			return err
		}
		fmt.Fprintf(out, "erased: %d items deleted, %d kept without identity (money records); erasure recorded as %s\n",
			er.Deleted, er.Anonymized, er.EmailHash[:16])
		fmt.Fprintln(out, "Stripe keeps its own copy: delete the person's customer in the Stripe dashboard too.")
		return nil
	}
	return fmt.Errorf("%w: privacy find or privacy erase", ErrUsage)
}
