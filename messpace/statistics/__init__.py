"""The national figures the insurer publishes (records created and activated,
connections, documents deposited, consultations by professionals, oppositions
and closures), computed each night into a table of figures.

The core knows no domain app: each app registers the metrics it can count
(:func:`messpace.statistics.registry.register`, in its ``AppConfig.ready``),
each a function that counts rows of a period by their dates. Nothing here
reads a health record's content, and the console's page reads only the table.
"""
