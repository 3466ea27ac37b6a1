"""The gapped k-mer SVM family: LS-GKM's kernel and SMO, the estimator, LS-GKM model import."""
