import pytest

from opportunities.models import Pipeline


@pytest.fixture
def classic(db):
    """The "Classic" pipeline (seeded by a migration) and its stages by name."""
    pipeline = Pipeline.objects.get(name="Classic")
    return pipeline, {stage.name: stage for stage in pipeline.stages.all()}
