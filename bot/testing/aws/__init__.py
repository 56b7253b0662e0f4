"""What the AWS doubles share: botocore service models as contracts (``model``) and SigV4
signatures recomputed with botocore's signer (``sigv4``)."""
