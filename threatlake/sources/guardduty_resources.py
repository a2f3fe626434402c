"""GuardDuty resources → affected-object fields (model.md §2), as a table keyed by ``resource.resourceType``.

Each entry returns one field dict per affected object: one per S3 bucket or S3 object, one per named container
(``object.type`` CONTAINER with ``container.*``), one per resource of an attack sequence, else one for the
resource itself. ``object.id`` is the ARN whenever the finding gives or implies one, so that GuardDuty and
Security Hub findings about the same thing land on the same object. ``aws.resource.*`` name the AWS resource
(for a container: the cluster or instance that runs it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from threatlake.model import account_object_id
from threatlake.sources.reader import entries, obj, text

__all__ = ["RESOURCES", "Scope", "account_target", "infer_type", "other", "split_image"]

Fields = dict[str, Any]
Entries = list[tuple[int, dict[str, Any]]]


# Where the finding happened, what a missing ARN is built from: (partition, region, account). A plain tuple,
# as it is made once per finding.
Scope = tuple[str, str | None, str | None]


def _arn(scope: Scope, service: str, resource: str) -> str | None:
    partition, region, account = scope
    if region is None or account is None:
        return None
    return f"arn:{partition}:{service}:{region}:{account}:{resource}"


def _target(oid: str | None, name: str | None, otype: str) -> Fields:
    return {
        "object.id": oid,
        "object.name": name,
        "object.type": otype,
        "aws.resource.id": oid,
        "aws.resource.type": otype,
        "aws.resource.name": name,
    }


def split_image(image: str) -> tuple[str, str | None]:
    """``registry/repo:tag@sha256:…`` → (name, tag or else digest)."""
    name, _, digest = image.partition("@")
    colon = name.rfind(":")
    if colon > name.rfind("/"):  # a colon before the last slash is a registry port, not a tag
        return name[:colon], name[colon + 1 :] or digest or None
    return name, digest or None


def _container(c: dict[str, Any], where: str, scope_id: str | None, index: int) -> Fields:
    cid = text(c, "id", where)
    name = text(c, "name", where)
    image = text(c, "image", where)
    image_name, image_version = split_image(image) if image else (None, None)
    # Runtime ids are often absent (ECS task definitions name containers only): fall back to a path that is
    # unique within the finding, under the task, pod or cluster that runs the container.
    oid = cid or (f"{scope_id}/{name or index}" if scope_id else name)
    return {
        "object.id": oid,
        "object.name": name or cid,
        "object.type": "CONTAINER",
        "container.id": cid,
        "container.name": name,
        "container.image.name": image_name,
        "container.image.version": image_version,
    }


def _instance_of(res: dict[str, Any], scope: Scope) -> Fields | None:
    inst = obj(res, "instanceDetails", "resource")
    if inst is None:
        return None
    where = "resource.instanceDetails"
    iid = text(inst, "instanceId", where)
    name = iid
    for index, tag in entries(inst, "tags", where):
        if tag.get("key") == "Name":
            name = text(tag, "value", f"{where}.tags[{index}]") or iid
            break
    arn = (_arn(scope, "ec2", f"instance/{iid}") or iid) if iid else None
    return _target(arn, name, "AwsEc2Instance")


def _instance(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    return [_instance_of(res, scope) or _target(None, None, "AwsEc2Instance")]


def _access_key(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    akd = obj(res, "accessKeyDetails", "resource") or {}
    where = "resource.accessKeyDetails"
    user = text(akd, "userName", where)
    key = text(akd, "accessKeyId", where) or text(akd, "principalId", where)
    return [_target(key, user, "AwsIamAccessKey")]


def _bucket(bucket: dict[str, Any], where: str, scope: Scope) -> Fields:
    name = text(bucket, "name", where)
    arn = text(bucket, "arn", where) or (f"arn:{scope[0]}:s3:::{name}" if name else None)
    return _target(arn, name, "AwsS3Bucket")


def _s3_buckets(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    buckets = entries(res, "s3BucketDetails", "resource")
    targets = [_bucket(b, f"resource.s3BucketDetails[{i}]", scope) for i, b in buckets]
    return targets or [_target(None, None, "AwsS3Bucket")]


def _s3_objects(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    targets: list[Fields] = []
    for i, bucket in entries(res, "s3BucketDetails", "resource"):
        where = f"resource.s3BucketDetails[{i}]"
        items = entries(bucket, "s3ObjectDetails", where)
        if not items:
            targets.append(_bucket(bucket, where, scope))
            continue
        name = text(bucket, "name", where)
        for j, item in items:
            at = f"{where}.s3ObjectDetails[{j}]"
            key = text(item, "key", at)
            built = f"arn:{scope[0]}:s3:::{name}/{key}" if name and key else None
            targets.append(_target(text(item, "objectArn", at) or built, key, "AwsS3Object"))
    return targets or [_target(None, None, "AwsS3Object")]


def _k8s(res: dict[str, Any], cluster: str | None) -> tuple[Fields, Entries, str | None]:
    """The Kubernetes fields, the workload's containers and its uid."""
    fields: Fields = {"k8s.cluster.name": cluster}
    details = obj(res, "kubernetesDetails", "resource")
    workload = obj(details, "kubernetesWorkloadDetails", "resource.kubernetesDetails") if details else None
    if workload is None:
        return fields, [], None
    where = "resource.kubernetesDetails.kubernetesWorkloadDetails"
    name = text(workload, "name", where)
    kind = text(workload, "type", where)
    uid = text(workload, "uid", where)
    fields["k8s.namespace.name"] = text(workload, "namespace", where)
    fields["k8s.workload.name"] = name
    fields["k8s.workload.kind"] = kind
    if kind is not None and kind.lower() in ("pod", "pods"):
        fields["k8s.pod.name"] = name
        fields["k8s.pod.uid"] = uid
    return fields, entries(workload, "containers", where), uid


def _eks(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    eks = obj(res, "eksClusterDetails", "resource") or {}
    where = "resource.eksClusterDetails"
    name = text(eks, "name", where)
    arn = text(eks, "arn", where) or (_arn(scope, "eks", f"cluster/{name}") if name else None)
    k8s, containers, uid = _k8s(res, name)
    cluster = _target(arn, name, "AwsEksCluster") | k8s
    if not containers:
        return [cluster]
    at = "resource.kubernetesDetails.kubernetesWorkloadDetails.containers"
    return [cluster | _container(c, f"{at}[{i}]", uid or arn, i) for i, c in containers]


def _ecs(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    ecs = obj(res, "ecsClusterDetails", "resource") or {}
    where = "resource.ecsClusterDetails"
    name = text(ecs, "name", where)
    arn = text(ecs, "arn", where) or (_arn(scope, "ecs", f"cluster/{name}") if name else None)
    cluster = _target(arn, name, "AwsEcsCluster")
    task = obj(ecs, "taskDetails", where)
    containers = entries(task, "containers", f"{where}.taskDetails") if task else []
    if not task or not containers:
        return [cluster]
    task_arn = text(task, "arn", f"{where}.taskDetails") or arn
    at = f"{where}.taskDetails.containers"
    return [cluster | _container(c, f"{at}[{i}]", task_arn, i) for i, c in containers]


def _container_resource(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    details = obj(res, "containerDetails", "resource") or {}
    host = _instance_of(res, scope)
    fields = _container(details, "resource.containerDetails", host["object.id"] if host else None, 0)
    if host is None:  # no host named: the container is the AWS resource too (ASFF type ``Container``)
        host = _target(fields["object.id"], fields["object.name"], "Container")
    if "kubernetesDetails" in res:
        eks = obj(res, "eksClusterDetails", "resource") or {}
        host |= _k8s(res, text(eks, "name", "resource.eksClusterDetails"))[0]
    return [host | fields]


def _rds(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    rds = obj(res, "rdsDbInstanceDetails", "resource") or {}
    where = "resource.rdsDbInstanceDetails"
    name = text(rds, "dbInstanceIdentifier", where)
    arn = text(rds, "dbInstanceArn", where) or (_arn(scope, "rds", f"db:{name}") if name else None)
    return [_target(arn, name, "AwsRdsDbInstance")]


def _rds_limitless(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    # A Limitless Database is an Aurora DB cluster; Security Hub names it AwsRdsDbCluster by the cluster ARN,
    # so the cluster is the object. The shard group ARN is the fallback when the cluster is not named.
    rds = obj(res, "rdsLimitlessDbDetails", "resource") or {}
    where = "resource.rdsLimitlessDbDetails"
    cluster = text(rds, "dbClusterIdentifier", where)
    built = _arn(scope, "rds", f"cluster:{cluster}") if cluster else None
    arn = built or text(rds, "dbShardGroupArn", where)
    return [_target(arn, cluster or text(rds, "dbShardGroupIdentifier", where), "AwsRdsDbCluster")]


def _lambda(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    fn = obj(res, "lambdaDetails", "resource") or {}
    where = "resource.lambdaDetails"
    name = text(fn, "functionName", where)
    arn = text(fn, "functionArn", where) or (_arn(scope, "lambda", f"function:{name}") if name else None)
    return [_target(arn, name, "AwsLambdaFunction")]


# ResourceV2.resourceType (attack sequences) → ASFF spelling.
_V2_TYPES = {
    "EC2_INSTANCE": "AwsEc2Instance",
    "EC2_NETWORK_INTERFACE": "AwsEc2NetworkInterface",
    "EC2_VPC": "AwsEc2Vpc",
    "EC2_LAUNCH_TEMPLATE": "AwsEc2LaunchTemplate",
    "S3_BUCKET": "AwsS3Bucket",
    "S3_OBJECT": "AwsS3Object",
    "ACCESS_KEY": "AwsIamAccessKey",
    "EKS_CLUSTER": "AwsEksCluster",
    "ECS_CLUSTER": "AwsEcsCluster",
    "ECS_TASK": "AwsEcsTask",
    "AUTOSCALING_AUTO_SCALING_GROUP": "AwsAutoScalingAutoScalingGroup",
    "CLOUDFORMATION_STACK": "AwsCloudFormationStack",
    "CONTAINER": "CONTAINER",
}


def _sequence(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    """Extended Threat Detection: one object per resource the attack sequence involves, else the account."""
    service = obj(raw, "service") or {}
    detection = obj(service, "detection", "service") or {}
    sequence = obj(detection, "sequence", "service.detection") or {}
    targets: list[Fields] = []
    for i, item in entries(sequence, "resources", "service.detection.sequence"):
        where = f"service.detection.sequence.resources[{i}]"
        uid = text(item, "uid", where)
        otype = _V2_TYPES.get(text(item, "resourceType", where) or "", "Other")
        if uid and not uid.startswith("arn:"):  # a bare instance id or bucket name: build the ARN
            if otype == "AwsEc2Instance":
                region = text(item, "region", where) or scope[1]
                at = (scope[0], region, text(item, "accountId", where) or scope[2])
                uid = _arn(at, "ec2", f"instance/{uid}") or uid
            elif otype == "AwsS3Bucket":
                uid = f"arn:{scope[0]}:s3:::{uid}"
        fields = _target(uid, text(item, "name", where), otype)
        if otype == "CONTAINER":
            fields["container.id"] = fields["aws.resource.id"]
            fields["container.name"] = fields["aws.resource.name"]
        targets.append(fields)
    return targets or account_target(scope)


def account_target(scope: Scope) -> list[Fields]:
    """The account, when a finding names no resource of its own (model.md §2: one form of account id)."""
    account = scope[2]
    return [_target(account_object_id(account) if account else None, account, "AwsAccount")]


def other(raw: dict[str, Any], res: dict[str, Any], scope: Scope) -> list[Fields]:
    """A resource type this table does not know: ``Other``, identified by the first ARN of a ``…Details``
    block (``arn``, ``snapshotArn``, ``imageArn``…), so a new resource type still lands on a stable id."""
    for key, details in res.items():
        if key.endswith("Details") and isinstance(details, dict):
            for name in details:
                if name == "arn" or name.endswith("Arn"):
                    arn = text(details, name, f"resource.{key}")
                    if arn:
                        return [_target(arn, text(details, "name", f"resource.{key}"), "Other")]
    return [_target(None, None, "Other")]


RESOURCES: dict[str, Callable[[dict[str, Any], dict[str, Any], Scope], list[Fields]]] = {
    "Instance": _instance,
    "AccessKey": _access_key,
    "S3Bucket": _s3_buckets,
    "S3Object": _s3_objects,
    "EKSCluster": _eks,
    "ECSCluster": _ecs,
    "Container": _container_resource,
    "RDSDBInstance": _rds,
    "RDSLimitlessDB": _rds_limitless,
    "Lambda": _lambda,
    "AttackSequence": _sequence,
}


# A resource without ``resourceType``: the type its details block implies, most specific first (a runtime
# container finding names its host instance and cluster too).
_IMPLIED_BY: tuple[tuple[str, str], ...] = (
    ("containerDetails", "Container"),
    ("eksClusterDetails", "EKSCluster"),
    ("ecsClusterDetails", "ECSCluster"),
    ("rdsLimitlessDbDetails", "RDSLimitlessDB"),
    ("rdsDbInstanceDetails", "RDSDBInstance"),
    ("lambdaDetails", "Lambda"),
    ("instanceDetails", "Instance"),
    ("accessKeyDetails", "AccessKey"),
    ("s3BucketDetails", "S3Bucket"),
)


def infer_type(res: dict[str, Any]) -> str | None:
    """The ``resourceType`` a resource without one implies, or None when no known details block is there."""
    for key, rtype in _IMPLIED_BY:
        if isinstance(res.get(key), dict | list) and res[key]:
            return rtype
    return None
