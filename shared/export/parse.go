// Package export holds the table's exports, both ends: starting one (Exporter, the
// nightly export function) and reading one back as staff query it — DynamoDB exports
// (DynamoDB JSON, in a local folder or under an s3:// prefix, in AWS's layout with
// manifest files or moto's with data files only) streamed with bounded memory on every
// core, or the live table by a parallel scan. Either way each item arrives as the SDK's
// attribute values.
package export

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Item is one table item.
type Item = map[string]types.AttributeValue

// ParseLine reads one line of a DynamoDB JSON export, {"Item": {...}}, into attribute
// values. It is a small parser of exactly that shape — several times faster than going
// through encoding/json's reflection, which matters at millions of lines; FuzzParseLine
// holds it to encoding/json's reading of the same bytes.
func ParseLine(line []byte) (Item, error) {
	p := parser{b: line}
	p.ws()
	var item Item
	err := p.object(func(name string) error {
		if name != "Item" {
			return p.skip()
		}
		var err error
		item, err = p.attrMap()
		return err
	})
	if err != nil {
		return nil, err
	}
	p.ws()
	if p.i != len(p.b) {
		return nil, p.fail("data after the object")
	}
	if item == nil {
		return nil, errors.New(`not an export line: no "Item"`)
	}
	return item, nil
}

type parser struct {
	b []byte
	i int
}

func (p *parser) fail(what string) error {
	return fmt.Errorf("invalid export JSON at byte %d: %s", p.i+1, what)
}

func (p *parser) ws() {
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case ' ', '\t', '\r', '\n':
			p.i++
		default:
			return
		}
	}
}

func (p *parser) eat(c byte) bool {
	if p.i < len(p.b) && p.b[p.i] == c {
		p.i++
		return true
	}
	return false
}

// str reads a JSON string.
func (p *parser) str() (string, error) {
	if !p.eat('"') {
		return "", p.fail("expected a string")
	}
	start := p.i
	for p.i < len(p.b) {
		c := p.b[p.i]
		switch {
		case c == '"':
			s := p.b[start:p.i]
			p.i++
			if !utf8.Valid(s) {
				return p.slowStr(start - 1)
			}
			return string(s), nil
		case c == '\\':
			return p.slowStr(start - 1)
		case c < 0x20:
			return "", p.fail("a control character in a string")
		}
		p.i++
	}
	return "", p.fail("an unterminated string")
}

// slowStr reads a string with escapes (or invalid UTF-8) the way encoding/json does.
func (p *parser) slowStr(start int) (string, error) {
	p.i = start + 1
	for p.i < len(p.b) {
		switch p.b[p.i] {
		case '\\':
			p.i += 2
			continue
		case '"':
			p.i++
			var s string
			if err := json.Unmarshal(p.b[start:p.i], &s); err != nil {
				return "", p.fail("a bad string")
			}
			return s, nil
		}
		p.i++
	}
	return "", p.fail("an unterminated string")
}

func (p *parser) boolean() (bool, error) {
	switch {
	case len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "true":
		p.i += 4
		return true, nil
	case len(p.b)-p.i >= 5 && string(p.b[p.i:p.i+5]) == "false":
		p.i += 5
		return false, nil
	}
	return false, p.fail("expected true or false")
}

// object reads {"name": value, ...}, calling each with every name, positioned at its
// value, which each must read.
func (p *parser) object(each func(name string) error) error {
	if !p.eat('{') {
		return p.fail("expected {")
	}
	for first := true; ; first = false {
		p.ws()
		if p.eat('}') {
			return nil
		}
		if !first && !p.eat(',') {
			return p.fail("expected , or }")
		}
		p.ws()
		name, err := p.str()
		if err != nil {
			return err
		}
		p.ws()
		if !p.eat(':') {
			return p.fail("expected :")
		}
		p.ws()
		if err := each(name); err != nil {
			return err
		}
	}
}

// attrMap reads {"name": attr, ...}.
func (p *parser) attrMap() (Item, error) {
	m := Item{}
	err := p.object(func(name string) error {
		v, err := p.attr()
		if err != nil {
			return fmt.Errorf("attribute %q: %w", name, err)
		}
		m[name] = v
		return nil
	})
	return m, err
}

// attr reads one attribute value: {"S": ...}, {"M": {...}}, and so on.
func (p *parser) attr() (types.AttributeValue, error) {
	var v types.AttributeValue
	err := p.object(func(kind string) error {
		var err error
		v, err = p.typed(kind, v)
		return err
	})
	if err != nil {
		return nil, err
	}
	if v == nil {
		return nil, errors.New("an attribute value with no type")
	}
	return v, nil
}

// typed reads the value of one type key; prev is an earlier key's value, kept if this
// key is unknown or null (as encoding/json would leave it).
func (p *parser) typed(kind string, prev types.AttributeValue) (types.AttributeValue, error) {
	if p.null() {
		return prev, nil
	}
	switch kind {
	case "S", "N", "B":
		s, err := p.str()
		if err != nil {
			return nil, err
		}
		switch kind {
		case "S":
			return &types.AttributeValueMemberS{Value: s}, nil
		case "N":
			return &types.AttributeValueMemberN{Value: s}, nil
		}
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, p.fail("bad base64")
		}
		return &types.AttributeValueMemberB{Value: b}, nil
	case "BOOL", "NULL":
		b, err := p.boolean()
		if err != nil {
			return nil, err
		}
		if kind == "BOOL" {
			return &types.AttributeValueMemberBOOL{Value: b}, nil
		}
		return &types.AttributeValueMemberNULL{Value: b}, nil
	case "M":
		m, err := p.attrMap()
		if err != nil {
			return nil, err
		}
		return &types.AttributeValueMemberM{Value: m}, nil
	case "L":
		var l []types.AttributeValue
		err := p.array(func() error {
			v, err := p.attr()
			l = append(l, v)
			return err
		})
		if l == nil {
			l = []types.AttributeValue{}
		}
		return &types.AttributeValueMemberL{Value: l}, err
	case "SS", "NS", "BS":
		var ss []string
		err := p.array(func() error {
			s, err := p.str()
			ss = append(ss, s)
			return err
		})
		if err != nil {
			return nil, err
		}
		if ss == nil {
			ss = []string{}
		}
		switch kind {
		case "SS":
			return &types.AttributeValueMemberSS{Value: ss}, nil
		case "NS":
			return &types.AttributeValueMemberNS{Value: ss}, nil
		}
		bs := make([][]byte, len(ss))
		for i, s := range ss {
			if bs[i], err = base64.StdEncoding.DecodeString(s); err != nil {
				return nil, p.fail("bad base64")
			}
		}
		return &types.AttributeValueMemberBS{Value: bs}, nil
	}
	return prev, p.skip() // a key no type uses
}

func (p *parser) null() bool {
	if len(p.b)-p.i >= 4 && string(p.b[p.i:p.i+4]) == "null" {
		p.i += 4
		return true
	}
	return false
}

// array reads [elem, ...], calling each for every element.
func (p *parser) array(each func() error) error {
	if !p.eat('[') {
		return p.fail("expected [")
	}
	for first := true; ; first = false {
		p.ws()
		if p.eat(']') {
			return nil
		}
		if !first && !p.eat(',') {
			return p.fail("expected , or ]")
		}
		p.ws()
		if err := each(); err != nil {
			return err
		}
	}
}

// skip passes over any JSON value.
func (p *parser) skip() error {
	start := p.i
	depth := 0
	for p.i < len(p.b) {
		switch c := p.b[p.i]; c {
		case '"':
			if _, err := p.str(); err != nil {
				return err
			}
			if depth == 0 {
				return nil
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 { // the end of the object or array around a scalar
				if p.i == start {
					return p.fail("expected a value")
				}
				return nil
			}
			depth--
			if depth == 0 {
				p.i++
				return nil
			}
		case ',':
			if depth == 0 {
				if p.i == start {
					return p.fail("expected a value")
				}
				return nil
			}
		}
		p.i++
	}
	if depth != 0 {
		return p.fail("unbalanced brackets")
	}
	return nil
}
