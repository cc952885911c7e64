"""Studies: runs and sweeps over replications and variants, process pools and Dask, results folders.

- :mod:`sim.study.tasks`: a task (one replication of one variant at one point) and the bundle of
  region, specs and prepared matrices every task needs;
- :mod:`sim.study.distributed`: running tasks here, on a process pool or on Dask;
- :mod:`sim.study.stops`: SIGTERM and SIGHUP handled as Ctrl-C; pool workers that end with their
  parent;
- :mod:`sim.study.session`: running tasks into results folders, kept whatever stops them (Ctrl-C,
  a signal, a lost worker, a failure; shared by runs, sweeps and sensitivity studies);
- :mod:`sim.study.runner`: a scenario's variants into a results folder, or in memory; resuming a
  stopped run;
- :mod:`sim.study.sweep_points`, :mod:`sim.study.sweep`, :mod:`sim.study.sweep_outputs`: parameter
  sweeps (points built, run, files; fields are addressed by :mod:`sim.scenario.field_paths`);
- :mod:`sim.study.sensitivity`, :mod:`sim.study.sensitivity_outputs`: which declared uncertain
  inputs move the gain (Morris or Sobol' designs, run, files);
- :mod:`sim.study.validation`: the bundled scenarios against published figures (the report);
- :mod:`sim.study.folders`: atomic writes, loading a results folder (checked).

Imports :mod:`sim.engine`, :mod:`sim.scenario` and :mod:`sim.analysis`."""
