package staff

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/solidarity/solidarity/shared/export"
	"github.com/solidarity/solidarity/shared/i18n"
	"github.com/solidarity/solidarity/shared/mail"
	"github.com/solidarity/solidarity/shared/reconcile"
	"github.com/solidarity/solidarity/shared/report"
)

// Sources is where reports read the table: exports (a folder or S3) or the live table.
type Sources struct {
	S3     export.S3API     // for s3:// exports
	DB     export.Scanner   // for -live
	Table  string           // for -live and export start
	Tty    io.Writer        // a terminal for the progress bar, or nil
	Export ExportAPI        // for export start
	Mailer *mail.Mailer     // for mail redrive
	Queue  Queue            // for mail redrive -queue
	Now    func() time.Time // the clock; nil is time.Now
	// BroadcastQueue posts a message (its JSON body) to the broadcast sender's queue, for
	// broadcast send (broadcast.go), or nil: the queued emails then wait.
	BroadcastQueue func(ctx context.Context, body string) error
	// ErasureKey reads the key of the erasure record's hash (privacy erase), or nil.
	ErasureKey func(context.Context) ([]byte, error)
	// Checkouts reaches Stripe's Checkout sessions (it reads Stripe's secret key), for
	// privacy erase -expire-checkouts, or nil.
	Checkouts func(context.Context) (CheckoutExpirer, error)
	// ExportRetentionDays is how long the exports bucket keeps exports, for privacy
	// erase's notice; 0 is the stack's default.
	ExportRetentionDays int
	// ExportBucket and DeadLetterQueue are export start's -bucket and mail redrive's
	// -queue when not given (EXPORT_BUCKET and MAILER_DEAD_LETTER_QUEUE_URL, else the
	// stack's outputs: stack.go).
	ExportBucket, DeadLetterQueue string
	// User is who runs the tool, for offline void without -by (void.go); nil is the
	// computer's user name.
	User func() string
	// Deployment is what staff doctor checks (doctor.go), or nil without a stack.
	Deployment *Deployment
	// Stripe reaches Stripe's webhook endpoints and the secret's SSM parameter (it reads
	// Stripe's secret key), for stripe connect (stripe.go), or nil.
	Stripe func(context.Context) (StripeAccount, error)
	// Reconcile builds the reconciliation with Stripe (it reads Stripe's secret key), for
	// staff reconcile (reconcile.go), or nil.
	Reconcile func(context.Context) (reconcile.Reconciler, error)
	// Lang is the language reports and screens are written in when no -lang is given
	// (English when empty; cmd/staff: LocalLang). Zone is the time zone dates are shown
	// and days counted in when no -tz is given (UTC when nil; cmd/staff: LocalZone).
	Lang i18n.Lang
	Zone *time.Location
	// Warn is where staff are warned of what to read over (privacy find's letter quoting
	// someone else's record), apart from what the command writes (cmd/staff: os.Stderr);
	// nil says nothing.
	Warn io.Writer
}

// lang is the -lang flag's value when given, else s.Lang, else English; a value that is
// neither en nor fr is refused.
func (s Sources) lang(flag string) (i18n.Lang, error) {
	if flag == "" {
		if s.Lang == i18n.FR {
			return i18n.FR, nil
		}
		return i18n.EN, nil
	}
	return amountLang(flag)
}

// zone is the time zone the -tz flag names (an IANA name: America/Toronto), else s.Zone,
// else UTC.
func (s Sources) zone(flag string) (*time.Location, error) {
	if flag == "" {
		if s.Zone == nil {
			return time.UTC, nil
		}
		return s.Zone, nil
	}
	loc, err := time.LoadLocation(flag)
	if err != nil || flag == "Local" {
		return nil, fmt.Errorf("%w: -tz %q is no time zone; name one like America/Toronto, America/Vancouver or UTC", ErrUsage, flag)
	}
	return loc, nil
}

// LocalLang is the language of the machine's locale, for Sources.Lang: French when the
// first of LC_ALL, LC_MESSAGES and LANG that is set starts with "fr" (fr_CA.UTF-8),
// else English.
func LocalLang(getenv func(string) string) i18n.Lang {
	for _, name := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := getenv(name); v != "" {
			if strings.HasPrefix(strings.ToLower(v), "fr") {
				return i18n.FR
			}
			return i18n.EN
		}
	}
	return i18n.EN
}

// LocalZone is the machine's time zone, for Sources.Zone: the zone TZ names, else the
// one /etc/localtime links to (so reports can name it: America/Toronto), else Go's
// time.Local (on Windows, the system's zone), which reports call "local time".
func LocalZone(getenv func(string) string) *time.Location {
	if tz := strings.TrimPrefix(getenv("TZ"), ":"); tz != "" {
		if loc, err := time.LoadLocation(tz); err == nil {
			return loc
		}
	}
	if target, err := os.Readlink("/etc/localtime"); err == nil {
		if _, name, ok := strings.Cut(target, "zoneinfo/"); ok {
			if loc, err := time.LoadLocation(name); err == nil {
				return loc
			}
		}
	}
	return time.Local
}

func (s Sources) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// ExportAPI is what starting an export needs of the DynamoDB client.
type ExportAPI interface {
	export.DB
	export.Describer
	DescribeTable(ctx context.Context, in *dynamodb.DescribeTableInput, opts ...func(*dynamodb.Options)) (*dynamodb.DescribeTableOutput, error)
}

// startExport starts an export of the table now, on demand: under on-demand/<time>/,
// which Athena's table never reads, and apart from the day's record, so the nightly
// export stays the day's only one under exports/<date>/ (export.Exporter.OnDemand).
func startExport(ctx context.Context, src Sources, args []string, out io.Writer) error {
	fs := newFlags("export start")
	bucket := fs.String("bucket", src.ExportBucket, "")
	wait := fs.Bool("wait", false, "")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if checking(ctx) {
		return nil
	}
	if *bucket == "" {
		return fmt.Errorf("%w: -bucket is required (or SOLIDARITY_STACK, whose exports bucket is the default)", ErrUsage)
	}
	desc, err := src.Export.DescribeTable(ctx, &dynamodb.DescribeTableInput{TableName: aws.String(src.Table)})
	if err != nil {
		return fmt.Errorf("describe table: %w", err)
	}
	rec, err := export.Exporter{DB: src.Export, TableARN: aws.ToString(desc.Table.TableArn),
		Bucket: *bucket, Now: src.now}.OnDemand(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "export %s started (%s): s3://%s/%s/\n", rec.ARN, rec.Status, rec.Bucket, rec.Prefix)
	if *wait {
		if err := export.Wait(ctx, src.Export, rec.ARN, 2*time.Second); err != nil {
			return err
		}
		fmt.Fprintln(out, "export complete")
	}
	return nil
}

// runReport runs `staff report NAME …`.
func runReport(ctx context.Context, src Sources, args []string, out io.Writer, now time.Time) error {
	if len(args) == 0 || strings.HasPrefix(args[0], "-") {
		return fmt.Errorf("%w: name a report: %s", ErrUsage, strings.Join(report.Sorted(), ", "))
	}
	name := args[0]
	if _, ok := report.Names[name]; !ok { // said before what the options lack
		return fmt.Errorf("%w: there is no report %q: name one of %s", ErrUsage, name, strings.Join(report.Sorted(), ", "))
	}
	fs := newFlags("report " + name)
	from := fs.String("export", "", "")
	live := fs.Bool("live", false, "")
	format := fs.String("format", "csv", "")
	file := fs.String("o", "", "")
	camp := fs.String("campaign", "", "")
	since := fs.String("from", "", "")
	until := fs.String("to", "", "")
	days := fs.Int("days", 30, "")
	langFlag := fs.String("lang", "", "")
	tz := fs.String("tz", "", "")
	if err := fs.Parse(args[1:]); err != nil {
		return fmt.Errorf("%w: %v", ErrUsage, err)
	}
	if (*from == "") == !*live {
		return fmt.Errorf("%w: read from -export FOLDER|s3://bucket/prefix, or -live", ErrUsage)
	}
	o := report.Options{Campaign: *camp, Days: *days, Format: *format, Now: now}
	var err error
	if o.Lang, err = src.lang(*langFlag); err != nil {
		return err
	}
	if o.Location, err = src.zone(*tz); err != nil {
		return err
	}
	// -from and -to are days in the zone the report counts its days and weeks in.
	if o.From, err = parseDay(*since, o.Location); err != nil {
		return err
	}
	if o.To, err = parseDay(*until, o.Location); err != nil {
		return err
	}
	if checking(ctx) { // the format, and the report's own options, as the run will read them
		if _, err := report.New(name, o, io.Discard); err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		return nil
	}
	return writeAtomically(*file, out, func(w io.Writer) error {
		rep, err := report.New(name, o, w)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		if *live {
			err = export.ScanTable(ctx, src.DB, src.Table, 4, rep.Add)
		} else {
			err = readExport(ctx, src, *from, rep.Add)
		}
		if err != nil {
			return err
		}
		return rep.Finish()
	})
}

// parseDay reads a day (2026-11-01) as the instant it starts in loc; "" is no day.
func parseDay(s string, loc *time.Location) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.ParseInLocation(time.DateOnly, s, loc)
	if err != nil {
		return t, fmt.Errorf("%w: dates look like 2026-11-01", ErrUsage)
	}
	return t, nil
}

func readExport(ctx context.Context, src Sources, where string, fn func(export.Item) error) error {
	var source export.Source = export.Dir(where)
	if strings.HasPrefix(where, "s3://") {
		bucket, prefix, err := export.ParseS3(where)
		if err != nil {
			return fmt.Errorf("%w: %v", ErrUsage, err)
		}
		source = export.S3{Client: src.S3, Bucket: bucket, Prefix: prefix}
	}
	files, err := export.Locate(ctx, source)
	if errors.Is(err, export.ErrNoExport) {
		return fmt.Errorf("%s holds no export data files: point -export at a dated export folder, such as "+
			"s3://BUCKET/exports/2026-11-27/, or use -live", where)
	}
	if err != nil {
		return err
	}
	r := export.Reader{Source: source}
	if src.Tty != nil {
		var total int64
		for _, f := range files {
			total += f.Size
		}
		bar := newProgress(src.Tty, total)
		defer bar.done(total)
		r.Progress = bar.set
	}
	return r.Read(ctx, files, fn)
}

// writeAtomically runs write into the file path (when set) through a temporary file
// renamed only on success, so a failed run never leaves a partial report that looks
// complete; without a path it writes to out.
func writeAtomically(path string, out io.Writer, write func(io.Writer) error) error {
	if path == "" {
		return write(out)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".partial-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // gone after the rename; removes a failed run's file
	if err := write(tmp); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}

// Terminal returns f if it is a terminal (for the progress bar), else nil.
func Terminal(f *os.File) io.Writer {
	info, err := f.Stat()
	if err != nil || info.Mode()&os.ModeCharDevice == 0 {
		return nil
	}
	return f
}
