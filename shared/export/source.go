package export

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
)

// File is one object of an export.
type File struct {
	Name     string // the path (local) or key (S3)
	Size     int64
	Modified time.Time
}

// Source is where an export is: a local folder or an S3 prefix.
type Source interface {
	// List returns every file under the source.
	List(ctx context.Context) ([]File, error)
	Open(ctx context.Context, name string) (io.ReadCloser, error)
	String() string
}

// Dir is an export in a local folder.
type Dir string

// List implements Source.
func (d Dir) List(context.Context) ([]File, error) {
	var out []File
	err := filepath.WalkDir(string(d), func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		info, err := e.Info()
		if err != nil {
			return err
		}
		out = append(out, File{Name: p, Size: info.Size(), Modified: info.ModTime()})
		return nil
	})
	return out, err
}

// Open implements Source.
func (d Dir) Open(_ context.Context, name string) (io.ReadCloser, error) { return os.Open(name) }

func (d Dir) String() string { return string(d) }

// S3API is the part of the S3 client an S3 source uses.
type S3API interface {
	s3.ListObjectsV2APIClient
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3 is an export under an S3 prefix.
type S3 struct {
	Client S3API
	Bucket string
	Prefix string
}

// ParseS3 reads "s3://bucket/prefix".
func ParseS3(uri string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(uri, "s3://")
	bucket, prefix, _ = strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return "", "", fmt.Errorf("%q is not an s3://bucket/prefix address", uri)
	}
	return bucket, prefix, nil
}

// List implements Source.
func (s S3) List(ctx context.Context) ([]File, error) {
	var out []File
	p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: aws.String(s.Bucket), Prefix: aws.String(s.Prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list s3://%s/%s: %w", s.Bucket, s.Prefix, err)
		}
		for _, o := range page.Contents {
			out = append(out, File{Name: aws.ToString(o.Key), Size: aws.ToInt64(o.Size), Modified: aws.ToTime(o.LastModified)})
		}
	}
	return out, nil
}

// Open implements Source.
func (s S3) Open(ctx context.Context, name string) (io.ReadCloser, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(name)})
	if err != nil {
		return nil, fmt.Errorf("get s3://%s/%s: %w", s.Bucket, name, err)
	}
	return out.Body, nil
}

func (s S3) String() string { return "s3://" + s.Bucket + "/" + s.Prefix }

// ErrNoExport means the source holds no export data files.
var ErrNoExport = errors.New("no export data files found")

// Locate finds the data files of the newest export under src. An export in AWS's layout
// lists its data files in manifest-files.json (each must exist); one in moto's layout
// has only data files, in .../AWSDynamoDB/<export id>/data/.
func Locate(ctx context.Context, src Source) ([]File, error) {
	all, err := src.List(ctx)
	if err != nil {
		return nil, err
	}
	byName := map[string]File{}
	exports := map[string][]File{} // export folder -> data files
	var manifests []string
	for _, f := range all {
		byName[f.Name] = f
		switch {
		case strings.HasSuffix(f.Name, "manifest-files.json"):
			manifests = append(manifests, f.Name)
		case strings.Contains(f.Name, "/data/") && (strings.HasSuffix(f.Name, ".json.gz") || strings.HasSuffix(f.Name, ".gz")):
			dir := f.Name[:strings.LastIndex(f.Name, "/data/")]
			exports[dir] = append(exports[dir], f)
		}
	}
	if len(exports) == 0 {
		return nil, fmt.Errorf("%s: %w", src, ErrNoExport)
	}
	// The newest export: the one whose data files were written last (ties by name, so the
	// choice is stable). Export ids are not in time order everywhere (moto's are random).
	newest, newestAt := "", time.Time{}
	for d, files := range exports {
		var at time.Time
		for _, f := range files {
			if f.Modified.After(at) {
				at = f.Modified
			}
		}
		if newest == "" || at.After(newestAt) || (at.Equal(newestAt) && d > newest) {
			newest, newestAt = d, at
		}
	}
	for _, m := range manifests {
		dir := strings.TrimSuffix(m, "/manifest-files.json")
		if dir == newest {
			return fromManifest(ctx, src, m, byName)
		}
	}
	files := exports[newest]
	sort.Slice(files, func(i, j int) bool { return files[i].Name < files[j].Name })
	return files, nil
}

// fromManifest lists the data files manifest-files.json names (one JSON object a line,
// with dataFileS3Key), checking each is there.
func fromManifest(ctx context.Context, src Source, manifest string, byName map[string]File) ([]File, error) {
	r, err := src.Open(ctx, manifest)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var files []File
	err = eachLine(r, func(n int, line []byte) error {
		var entry struct {
			DataFileS3Key string `json:"dataFileS3Key"`
		}
		if err := jsonUnmarshal(line, &entry); err != nil || entry.DataFileS3Key == "" {
			return fmt.Errorf("%s line %d: not a manifest entry", manifest, n)
		}
		f, ok := matchKey(entry.DataFileS3Key, byName)
		if !ok {
			return fmt.Errorf("%s line %d: the data file %s is missing", manifest, n, entry.DataFileS3Key)
		}
		files = append(files, f)
		return nil
	})
	return files, err
}

// matchKey finds a manifest's S3 key among the listed files, which may be local paths
// ending with it.
func matchKey(key string, byName map[string]File) (File, bool) {
	if f, ok := byName[key]; ok {
		return f, true
	}
	tail := key
	if i := strings.Index(key, "AWSDynamoDB/"); i >= 0 {
		tail = key[i:] // the export copied somewhere under another prefix
	}
	for name, f := range byName {
		if strings.HasSuffix(name, "/"+tail) {
			return f, true
		}
	}
	return File{}, false
}
