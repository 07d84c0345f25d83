from fastapi import APIRouter

router = APIRouter(tags=["knowledge-base"])
