"""Secretary API Lambda: rooms, participants, joins, recordings and event logs behind API Gateway."""

from mangum import Mangum

from meetings.secretary.app import app

handler = Mangum(app, lifespan="off")
