"""CDK app of {{ cookiecutter.service_name }}: built by stagelift from the tier files next to this one.

infra/lambda.json, infra/fargate.json or infra/eks.json hold the answers given at creation (the
tier's configuration, camelCase, validated by its stagelift model); while the service moves up a
tier (`stagelift upgrade`), both tiers' files are here with infra/migration.json, the traffic
weights. Edit those files, not this one.

    python app.py                  synthesize (to $CDK_OUTDIR or a temporary folder)
    cdk synth / cdk deploy         from this folder
    python app.py --write-manifests
                                   EKS: render ../k8s/ for $IMAGE_TAG (no synthesis)

Synthesis needs no AWS credentials. cdk-nag's AwsSolutions pack runs on every synth: an
unacknowledged finding fails it.
"""

from stagelift.service_app import main

if __name__ == "__main__":
    main(__file__, region="{{ cookiecutter.aws_region }}", description="{{ cookiecutter.description }}")
