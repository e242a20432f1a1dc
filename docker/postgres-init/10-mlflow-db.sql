-- Runs once, when the PostgreSQL volume is first initialised: MLflow's tracking data gets its own database beside
-- Optuna's (POSTGRES_DB), owned by the same role.
CREATE DATABASE mlflow;
