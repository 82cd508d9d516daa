"""Transform template.yaml as `sam deploy` does, for the tests.

    python3 infra/sam/transform.py TEMPLATE PARAMS_JSON [--resolve]

Prints the CloudFormation template that aws-sam-translator (the library `sam deploy`
uses) makes of TEMPLATE, each function's CodeUri first rewritten to an s3:// address
as `sam package` would. PARAMS_JSON is a JSON object of parameter values.

--resolve also evaluates the Conditions for those parameters, as CloudFormation does
when it creates the stack: each Fn::If becomes its chosen branch, AWS::NoValue
disappears, and resources and outputs whose condition is false are dropped. moto's
CloudFormation needs this (it fails on Fn::If -> AWS::NoValue inside a role's
Policies); the transformed template alone is what AWS receives.
"""
import json
import os
import sys

from cfnlint.decode import decode
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
from samtranslator.translator.transform import transform


class NoIAM(ManagedPolicyLoader):
    """The template names no managed policy of its own; SAM's are known by ARN."""

    def __init__(self):
        pass

    def load(self):
        return {}


NOVALUE = object()


def resolve(tmpl, params):
    values = {k: v.get("Default") for k, v in tmpl.get("Parameters", {}).items()}
    values.update(params)
    values = {k: "" if v is None else str(v) for k, v in values.items()}
    conds = {}

    def cond(name):
        if name not in conds:
            conds[name] = evaluate(tmpl["Conditions"][name])
        return conds[name]

    def scalar(v):
        if isinstance(v, dict) and set(v) == {"Ref"} and v["Ref"] in values:
            return values[v["Ref"]]
        if isinstance(v, dict) and set(v) == {"Condition"}:
            return cond(v["Condition"])
        return v

    def evaluate(c):
        (fn, args), = c.items()
        if fn == "Fn::Equals":
            a, b = (scalar(x) for x in args)
            return str(a) == str(b)
        if fn == "Fn::Not":
            return not evaluate_any(args[0])
        if fn == "Fn::And":
            return all(evaluate_any(a) for a in args)
        if fn == "Fn::Or":
            return any(evaluate_any(a) for a in args)
        if fn == "Condition":
            return cond(args)
        raise ValueError("condition function %s" % fn)

    def evaluate_any(c):
        if set(c) == {"Condition"}:
            return cond(c["Condition"])
        return evaluate(c)

    def walk(v):
        if isinstance(v, dict):
            if set(v) == {"Fn::If"}:
                name, yes, no = v["Fn::If"]
                return walk(yes if cond(name) else no)
            if set(v) == {"Ref"} and v["Ref"] == "AWS::NoValue":
                return NOVALUE
            out = {}
            for k, x in v.items():
                x = walk(x)
                if x is not NOVALUE:
                    out[k] = x
            return out
        if isinstance(v, list):
            return [x for x in (walk(x) for x in v) if x is not NOVALUE]
        return v

    for section in ("Resources", "Outputs"):
        for name in list(tmpl.get(section, {})):
            c = tmpl[section][name].pop("Condition", None)
            if c is not None and not cond(c):
                del tmpl[section][name]
    tmpl = walk(tmpl)
    tmpl.pop("Conditions", None)
    tmpl.pop("Rules", None)
    # A DependsOn on a dropped resource would not resolve.
    for r in tmpl["Resources"].values():
        dep = r.get("DependsOn")
        if isinstance(dep, str):
            dep = [dep]
        if dep is not None:
            r["DependsOn"] = [d for d in dep if d in tmpl["Resources"]]
    return tmpl


def main():
    path, params = sys.argv[1], json.loads(sys.argv[2])
    # SAM fills AWS::Region in from the session, as `sam deploy` does from its profile.
    os.environ.setdefault("AWS_DEFAULT_REGION", "ca-central-1")
    tmpl, matches = decode(path)
    if matches:
        sys.exit("template.yaml does not parse: %s" % matches)
    tmpl = json.loads(json.dumps(tmpl))  # plain dicts, no line marks
    for r in tmpl["Resources"].values():
        if r.get("Type") == "AWS::Serverless::Function":
            r["Properties"]["CodeUri"] = "s3://solidarity-artifacts/function.zip"
    out = transform(tmpl, params, NoIAM())
    if "--resolve" in sys.argv[3:]:
        out = resolve(out, params)
    json.dump(out, sys.stdout, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
