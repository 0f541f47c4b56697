"""Evidence package exports: queue a job, follow its progress, download the package."""
