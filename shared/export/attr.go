// Package export reads the table as staff query it: DynamoDB exports (DynamoDB JSON, in a
// local folder or under an s3:// prefix, in AWS's layout with manifest files or moto's
// with data files only) streamed with bounded memory on every core, or the live table by
// a parallel scan. Either way each item arrives as the SDK's attribute values.
package export

import (
	"encoding/json"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// Item is one table item.
type Item = map[string]types.AttributeValue

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

// ParseLine reads one line of a DynamoDB JSON export: {"Item": {...}}.
func ParseLine(line []byte) (Item, error) {
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
