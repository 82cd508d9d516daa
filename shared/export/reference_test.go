package export

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// attr is an attribute value in DynamoDB JSON.
type attr struct {
	S    *string         `json:"S"`
	N    *string         `json:"N"`
	BOOL *bool           `json:"BOOL"`
	NULL *bool           `json:"NULL"`
	B    []byte          `json:"B"`
	M    map[string]attr `json:"M"`
	L    []attr          `json:"L"`
	SS   []string        `json:"SS"`
	NS   []string        `json:"NS"`
	BS   [][]byte        `json:"BS"`
}

func (a attr) value() (types.AttributeValue, error) {
	switch {
	case a.S != nil:
		return &types.AttributeValueMemberS{Value: *a.S}, nil
	case a.N != nil:
		return &types.AttributeValueMemberN{Value: *a.N}, nil
	case a.BOOL != nil:
		return &types.AttributeValueMemberBOOL{Value: *a.BOOL}, nil
	case a.NULL != nil:
		return &types.AttributeValueMemberNULL{Value: *a.NULL}, nil
	case a.B != nil:
		return &types.AttributeValueMemberB{Value: a.B}, nil
	case a.M != nil:
		m, err := convert(a.M)
		return &types.AttributeValueMemberM{Value: m}, err
	case a.L != nil:
		l := make([]types.AttributeValue, len(a.L))
		for i, e := range a.L {
			v, err := e.value()
			if err != nil {
				return nil, err
			}
			l[i] = v
		}
		return &types.AttributeValueMemberL{Value: l}, nil
	case a.SS != nil:
		return &types.AttributeValueMemberSS{Value: a.SS}, nil
	case a.NS != nil:
		return &types.AttributeValueMemberNS{Value: a.NS}, nil
	case a.BS != nil:
		return &types.AttributeValueMemberBS{Value: a.BS}, nil
	}
	return nil, fmt.Errorf("an attribute value with no type")
}

func convert(m map[string]attr) (Item, error) {
	out := make(Item, len(m))
	for k, a := range m {
		v, err := a.value()
		if err != nil {
			return nil, fmt.Errorf("attribute %q: %w", k, err)
		}
		out[k] = v
	}
	return out, nil
}

// parseLineJSON reads an export line through encoding/json: the reference ParseLine is
// checked against.
func parseLineJSON(line []byte) (Item, error) {
	var rec struct {
		Item map[string]attr `json:"Item"`
	}
	if err := json.Unmarshal(line, &rec); err != nil {
		return nil, err
	}
	if rec.Item == nil {
		return nil, fmt.Errorf(`not an export line: no "Item"`)
	}
	return convert(rec.Item)
}

// marshal writes an item as canonical DynamoDB JSON.
func marshal(it Item) []byte {
	var b strings.Builder
	b.WriteString(`{"Item":`)
	writeMap(&b, it)
	b.WriteString("}")
	return []byte(b.String())
}

func writeMap(b *strings.Builder, m Item) {
	b.WriteString("{")
	first := true
	for k, v := range m {
		if !first {
			b.WriteString(",")
		}
		first = false
		q, _ := json.Marshal(k)
		b.Write(q)
		b.WriteString(":")
		writeAttr(b, v)
	}
	b.WriteString("}")
}

func writeAttr(b *strings.Builder, v types.AttributeValue) {
	q := func(s string) string { j, _ := json.Marshal(s); return string(j) }
	list := func(ss []string) string { j, _ := json.Marshal(ss); return string(j) }
	switch v := v.(type) {
	case *types.AttributeValueMemberS:
		b.WriteString(`{"S":` + q(v.Value) + `}`)
	case *types.AttributeValueMemberN:
		b.WriteString(`{"N":` + q(v.Value) + `}`)
	case *types.AttributeValueMemberB:
		b.WriteString(`{"B":` + q(base64.StdEncoding.EncodeToString(v.Value)) + `}`)
	case *types.AttributeValueMemberBOOL:
		fmt.Fprintf(b, `{"BOOL":%v}`, v.Value)
	case *types.AttributeValueMemberNULL:
		fmt.Fprintf(b, `{"NULL":%v}`, v.Value)
	case *types.AttributeValueMemberM:
		b.WriteString(`{"M":`)
		writeMap(b, v.Value)
		b.WriteString("}")
	case *types.AttributeValueMemberL:
		b.WriteString(`{"L":[`)
		for i, e := range v.Value {
			if i > 0 {
				b.WriteString(",")
			}
			writeAttr(b, e)
		}
		b.WriteString("]}")
	case *types.AttributeValueMemberSS:
		b.WriteString(`{"SS":` + list(v.Value) + `}`)
	case *types.AttributeValueMemberNS:
		b.WriteString(`{"NS":` + list(v.Value) + `}`)
	case *types.AttributeValueMemberBS:
		ss := make([]string, len(v.Value))
		for i, x := range v.Value {
			ss[i] = base64.StdEncoding.EncodeToString(x)
		}
		b.WriteString(`{"BS":` + list(ss) + `}`)
	}
}

// TestParseLineAgreesWithEncodingJSON: on real export lines, the fast parser and
// encoding/json read the same items.
func TestParseLineAgreesWithEncodingJSON(t *testing.T) {
	for _, line := range []string{
		line("K#1", 1),
		`{"Item":{"pk":{"S":"DONATION#don_1"},"first_name":{"S":"Élise \"Lili\" Tremblay\u00e9\n"},"tab":{"S":"a\tb\\c"},"n":{"N":"-12.5e3"}}}`,
		`  { "Item" : { "a" : { "B" : "AAEC" } , "b" : {"NS":["1","2"]}, "c":{"BS":["AA==",""]}, "d":{"L":[]}, "e":{"M":{}}, "f":{"NULL":true}, "g":{"BOOL":false} } }  `,
		`{"Item":{"emoji":{"S":"solidarité ✊🏽"},"ctrl":{"S":"\u0001"}},"Other":[1,{"x":"}"}]}`,
		`{"Other":{"Item":1},"Item":{"x":{"S":"y"}}}`,
		`{"Item":{"x":{"S":"y"}},"Other":12}`,
		`{"Item":{"x":{"S":"y","Extra":true}},"Other":"z"}`,
	} {
		ours, err := ParseLine([]byte(line))
		ref, rerr := parseLineJSON([]byte(line))
		if err != nil || rerr != nil || !reflect.DeepEqual(ours, ref) {
			t.Fatalf("%s:\nours %v %v\nref  %v %v", line, ours, err, ref, rerr)
		}
	}
}
