// Command forms writes the forms of web/ rendered with the organization's identity
// (infra/organization.json, compiled in): `go run ./cmd/forms -out dist/web` from the
// repository's root writes the pages, each in English and in French (index.html,
// index.fr.html…), forms.css and forms.js, ready to upload to the organization's site
// (docs/forms.md).
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/solidarity/solidarity/shared/donation"
	"github.com/solidarity/solidarity/shared/organization"
	"github.com/solidarity/solidarity/shared/webforms"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "forms:", err)
		os.Exit(1)
	}
}

func run(args []string, stdout io.Writer) error {
	fl := flag.NewFlagSet("forms", flag.ContinueOnError)
	src := fl.String("src", "web", "the forms' templates")
	out := fl.String("out", "", "the folder to write the rendered forms into, such as dist/web")
	// The donate page says what "cover the fees" adds: the stack's FeePercentBps and
	// FeeFixedCents (the server's defaults unless the deployment changed them).
	bps := fl.Int64("fee-bps", webforms.DefaultFees.PercentBps, "the stack's FeePercentBps: the card fee's percentage, in hundredths of a percent")
	cents := fl.Int64("fee-cents", webforms.DefaultFees.FixedCents, "the stack's FeeFixedCents: the card fee's fixed part, in cents")
	if err := fl.Parse(args); err != nil {
		return err
	}
	if fl.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q", fl.Arg(0))
	}
	if *out == "" {
		return errors.New("give -out, the folder to write the forms into (such as dist/web)")
	}
	if same, err := sameDir(*src, *out); err != nil || same {
		if err == nil {
			err = fmt.Errorf("-out %s is the templates' own folder: write the forms elsewhere", *out)
		}
		return err
	}
	id, err := organization.Load()
	if err != nil {
		return err
	}
	if *bps < 0 || *bps > 5000 || *cents < 0 || *cents > 10_000 {
		return fmt.Errorf("-fee-bps must be 0 to 5000 and -fee-cents 0 to 10000, as the stack's parameters")
	}
	files, err := webforms.RenderFees(os.DirFS(*src), id, donation.Fees{PercentBps: *bps, FixedCents: *cents})
	if err != nil {
		return err
	}
	if err := files.Write(*out); err != nil {
		return err
	}
	for _, n := range files.Names() {
		fmt.Fprintln(stdout, filepath.Join(*out, n))
	}
	return nil
}

// sameDir: a and b are one folder (b need not exist yet).
func sameDir(a, b string) (bool, error) {
	absA, err := filepath.Abs(a)
	if err != nil {
		return false, err
	}
	absB, err := filepath.Abs(b)
	if err != nil {
		return false, err
	}
	if absA == absB {
		return true, nil
	}
	ia, errA := os.Stat(absA)
	ib, errB := os.Stat(absB)
	return errA == nil && errB == nil && os.SameFile(ia, ib), nil
}
